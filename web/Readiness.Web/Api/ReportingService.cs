using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Web.Auth;

namespace Readiness.Web.Api;

public enum ReportStatus
{
    Accepted,
    Replayed,
    BadRequest,
    NotFound,
    Forbidden,
    Invalid,
    VersionConflict,
    IdempotencyKeyReused,
}

/// <summary>How a report is made: the version the caller saw (optimistic concurrency), its idempotency key, its address.</summary>
/// <param name="Minimal">The answer is RFC 7240 <c>return=minimal</c> (no view rendered): the grain leaves the recent changes out of its outcome.</param>
public sealed record ReportContext(long? ExpectedVersion, string? IdempotencyKey, string? ClientAddress, bool Minimal = false)
{
    /// <summary>
    /// Judged only, read only: the report goes through every check a save makes up to the grain, then the grain's rules
    /// (<see cref="ChangeRules.Validate"/>, or <see cref="PrefectureRunRules.Validate"/>) judge it against the record as
    /// it is now, without the version check (a form is saved on top of others' changes, <see cref="ReportingService.ReportOnTopAsync"/>).
    /// Nothing is applied, audited or logged. Answers the refusal a save would meet, or Accepted with no applied version
    /// and no changes. For a refused form shown again in the other language.
    /// </summary>
    public bool DryRun { get; init; }
}

/// <summary>
/// What became of a report. On success <see cref="AppliedVersion"/> and <see cref="Changes"/> are those of the first
/// application, also for a replay; <see cref="Record"/> is the current state. Refusals carry the errors.
/// </summary>
public sealed record ReportResult(
    ReportStatus Status,
    string RequestId,
    MunicipalityRecord? Record,
    ImmutableArray<ValidationError> Errors,
    long? AppliedVersion,
    ImmutableArray<ChangeEntry> Changes)
{
    /// <summary>The municipality's most recent changes after the report, newest first (empty for refusals and for a <see cref="ReportContext.Minimal"/> report).</summary>
    public ImmutableArray<ChangeEntry> RecentChanges { get; init; } = [];

    public bool Succeeded => Status is ReportStatus.Accepted or ReportStatus.Replayed;
}

/// <summary>
/// The write side, shared by the API and the dashboard's forms: checks the tenant from the caller's claims (never
/// from the request), builds the <see cref="ChangeRequest"/> with the actor and calls the municipality grain, which
/// validates, checks the version and idempotency, audits, stores and answers with what it audited.
/// </summary>
public sealed class ReportingService(IGrainFactory grains, GrainCalls calls, IAuditLog audit, IOptions<ReadinessAuthOptions> authOptions, SecurityLog securityLog, TimeProvider time)
{
    public const int MaxIdempotencyKeyLength = ChangeRules.MaxRequestIdLength;

    /// <summary>An Idempotency-Key the API takes: 1 to <see cref="MaxIdempotencyKeyLength"/> visible ASCII characters (docs/api.md).</summary>
    public static bool IsValidIdempotencyKey(string key) => key.Length is > 0 and <= MaxIdempotencyKeyLength && !key.Any(ch => ch is < '!' or > '~');

    public ReadinessCaller? Caller(ClaimsPrincipal user) => ReadinessCaller.From(user, authOptions.Value);

    public bool CanWrite(ClaimsPrincipal user, string code) => TenantAccess.CanWriteMunicipality(Caller(user), code);

    public Task<ReportResult> ReportSystemAsync(ClaimsPrincipal user, string code, string businessId, SystemReport report, ReportContext context) =>
        ApplyAsync(user, code, context, () => !ReadinessCatalog.Instance.BusinessIndex.ContainsKey(businessId)
            ? ([], [], Error(ReportStatus.NotFound, "businessId", "not_found",
                $"業務「{Problems.Shown(businessId)}」は標準化対象の20業務にありません。", $"Unknown business system '{Problems.Shown(businessId)}'."))
            : report.GivesNullPhase
                // Every municipality system has a phase (the baseline's until its first report): null would clear it.
                ? ([], [], NullPhase("phase"))
                : ([ToChange(businessId, report)], [], null));

    private static ReportResult NullPhase(string field) => new(ReportStatus.BadRequest, string.Empty, null, [SystemReport.NullPhase(field)], null, []);

    public Task<ReportResult> ReportSecurityAsync(ClaimsPrincipal user, string code, string itemId, SecurityReport report, ReportContext context) =>
        ApplyAsync(user, code, context, () => ReadinessCatalog.Instance.SecurityIndex.ContainsKey(itemId)
            ? ([], [ToChange(itemId, report)], null)
            : ([], [], Error(ReportStatus.NotFound, "itemId", "not_found",
                $"セキュリティ項目「{Problems.Shown(itemId)}」はチェックリストにありません。", $"Unknown security checklist item '{Problems.Shown(itemId)}'.")));

    public Task<ReportResult> ReportAsync(ClaimsPrincipal user, string code, MunicipalityReport report, ReportContext context) =>
        ApplyAsync(user, code, context, () =>
        {
            var systems = ImmutableArray.CreateBuilder<SystemChange>();
            for (var i = 0; i < (report.Systems?.Count ?? 0); i++)
            {
                if (report.Systems![i] is not { } s)
                {
                    return ([], [], Error(ReportStatus.BadRequest, $"systems[{i}]", "null_not_allowed", "null の業務は指定できません。", "A system report cannot be null."));
                }

                if (s.GivesNullPhase)
                {
                    return ([], [], NullPhase($"systems[{i}].phase"));
                }

                systems.Add(ToChange(s.BusinessId, s));
            }

            var security = ImmutableArray.CreateBuilder<SecurityChange>();
            for (var i = 0; i < (report.Security?.Count ?? 0); i++)
            {
                if (report.Security![i] is not { } s)
                {
                    return ([], [], Error(ReportStatus.BadRequest, $"security[{i}]", "null_not_allowed", "null の項目は指定できません。", "A security item report cannot be null."));
                }

                security.Add(ToChange(s.ItemId, s));
            }

            return (systems.ToImmutable(), security.ToImmutable(), null);
        });

    /// <summary>
    /// A dashboard form's or a template's report made from an older version (<see cref="ReportContext.ExpectedVersion"/>):
    /// the version is the whole municipality's, so a change since to another target must not refuse it. Reports once;
    /// when the grain answers VersionConflict, reads the audit trail above that version and, unless someone changed one
    /// of <paramref name="targets"/> ("system:koseki", "security:SEC-2-01") since (<see cref="ChangesSince.Conflicts"/>),
    /// reports again on top of the current version (the grain checks it again; a few attempts when others keep saving).
    /// Conflicts: the VersionConflict result and the targets named. The API's If-Match stays strict and never comes here.
    /// </summary>
    public async Task<(ReportResult Result, ImmutableArray<TargetConflict> Conflicts)> ReportOnTopAsync(
        string code, IReadOnlyCollection<string> targets, ReportContext context, Func<ReportContext, Task<ReportResult>> report, CancellationToken cancellationToken)
    {
        var result = await report(context);
        for (var attempt = 0; attempt < OnTopAttempts; attempt++)
        {
            if (result.Status != ReportStatus.VersionConflict || result.Record is not { } current || context.ExpectedVersion is not { } madeFrom || current.Version <= madeFrom)
            {
                break;
            }

            if (await ChangesSinceAsync(code, madeFrom, current.Version, cancellationToken) is not { } history)
            {
                break; // too much history to tell: refused as a whole, as before
            }

            if (ChangesSince.Conflicts(history, madeFrom, targets) is { IsEmpty: false } conflicts)
            {
                return (result, conflicts);
            }

            result = await report(context with { ExpectedVersion = current.Version });
        }

        return (result, []);
    }

    /// <summary>
    /// Read only, nothing saved: the municipality now and the conflicts a submission to <paramref name="targets"/> made
    /// from version <paramref name="madeFrom"/> meets (the targets changed since, as <see cref="ReportOnTopAsync"/> judges
    /// them). For a refused form shown again in the other language: the same message, without sending it again.
    /// </summary>
    public async Task<(MunicipalityRecord Record, ImmutableArray<TargetConflict> Conflicts)> ConflictsNowAsync(
        string code, long madeFrom, IReadOnlyCollection<string> targets, CancellationToken cancellationToken)
    {
        var record = await grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
        if (record.Version <= madeFrom || await ChangesSinceAsync(code, madeFrom, record.Version, cancellationToken) is not { } history)
        {
            return (record, []);
        }

        return (record, ChangesSince.Conflicts(history, madeFrom, targets));
    }

    /// <summary>How often <see cref="ReportOnTopAsync"/> reports again while others keep saving before it answers the conflict.</summary>
    private const int OnTopAttempts = 3;

    /// <summary>
    /// The audit entries of <paramref name="code"/> with a version above <paramref name="afterVersion"/> up to
    /// <paramref name="upToVersion"/> (newest first); null when there are too many (<see cref="AuditTrailSince"/>)
    /// (the caller then refuses the submission as a whole).
    /// </summary>
    public Task<ImmutableArray<ChangeEntry>?> ChangesSinceAsync(string code, long afterVersion, long upToVersion, CancellationToken cancellationToken) =>
        audit.ChangesSinceAsync(code, afterVersion, upToVersion, cancellationToken);

    private async Task<ReportResult> ApplyAsync(
        ClaimsPrincipal user, string code, ReportContext context,
        Func<(ImmutableArray<SystemChange> Systems, ImmutableArray<SecurityChange> Security, ReportResult? Refusal)> build)
    {
        var caller = Caller(user);
        // An invalid key is refused below and never becomes the request's id (nor is it echoed in X-Request-Id).
        var requestId = context.IdempotencyKey is { } given && IsValidIdempotencyKey(given) ? given : "req-" + Guid.CreateVersion7().ToString("N");
        ReportResult Refuse(ReportResult refusal)
        {
            // A dry run's refusal was the refused save's, already logged.
            if (!context.DryRun)
            {
                securityLog.RefusedWrite(caller, code, Wire.Name(refusal.Status), string.Join("; ", refusal.Errors.Select(e => $"{e.Field}: {e.Code}")), context.ClientAddress);
            }

            return refusal with { RequestId = requestId };
        }

        if (!MunicipalityCode.IsValid(code))
        {
            return Refuse(Error(ReportStatus.BadRequest, "code", "invalid_code",
                $"団体コード「{Problems.Shown(code)}」が正しくありません（6桁、末尾は検査数字）。", $"'{Problems.Shown(code)}' is not a valid 6-digit local government code (the last digit is a check digit)."));
        }

        if (!ReadinessCatalog.Instance.IsMunicipality(code))
        {
            return Refuse(Error(ReportStatus.NotFound, "code", "not_found", $"団体コード「{code}」の市区町村はありません。", $"No municipality has the code '{code}'."));
        }

        if (!TenantAccess.CanWriteMunicipality(caller, code))
        {
            var (field, why, ja, en) = TenantAccess.WriteRefusal(caller, caller is { Role: Role.Municipality } && caller.Tenant == code, ("code", "forbidden_tenant",
                $"団体コード「{code}」のデータを更新する権限がありません（更新できるのは自団体のみです）。", $"You may not change the data of '{code}': only the municipality itself reports its data."));
            return Refuse(Error(ReportStatus.Forbidden, field, why, ja, en));
        }

        if (context.IdempotencyKey is { } key && !IsValidIdempotencyKey(key))
        {
            return Refuse(Error(ReportStatus.BadRequest, "Idempotency-Key", "invalid_idempotency_key",
                $"Idempotency-Key は1〜{MaxIdempotencyKeyLength}文字の英数字・記号（空白なし）で指定してください。", $"The Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters."));
        }

        var (systems, security, refusal) = build();
        if (refusal is not null)
        {
            return Refuse(refusal);
        }

        var grain = grains.GetGrain<IMunicipalityGrain>(code);
        var request = new ChangeRequest
        {
            RequestId = requestId,
            Actor = caller!.ToActor(),
            ExpectedVersion = context.ExpectedVersion,
            Systems = systems,
            Security = security,
            ClientAddress = context.ClientAddress,
            CallId = Guid.NewGuid().ToString("N"),
            Minimal = context.Minimal,
        };

        if (context.DryRun)
        {
            // The grain's own rules against the municipality now, read only (the grain's version check left to the caller).
            var now = await calls.Run(() => grain.GetAsync(), idempotent: true);
            var errors = ChangeRules.Validate(request, now, ReadinessRules.TodayInJapan(time.GetUtcNow()));
            return errors.IsEmpty
                ? new ReportResult(ReportStatus.Accepted, requestId, now, [], null, [])
                : Refuse(new ReportResult(ReportStatus.Invalid, requestId, now, errors, null, []));
        }

        // Safe to retry: a repeat of the same RequestId is answered Replayed and applies nothing again. A retry of a
        // write whose first attempt was applied but whose answer was lost comes back Replayed, which is a success.
        var outcome = await calls.Run(() => grain.ApplyAsync(request), idempotent: true);

        if (!outcome.Succeeded)
        {
            var status = outcome.Status switch
            {
                ChangeStatus.VersionConflict => ReportStatus.VersionConflict,
                ChangeStatus.IdempotencyKeyReused => ReportStatus.IdempotencyKeyReused,
                _ => ReportStatus.Invalid,
            };
            return Refuse(new ReportResult(status, requestId, outcome.Record, outcome.Errors, null, []));
        }

        // An accepted request's changes come back from the grain exactly as it audited them (in the trail's order); a
        // replay's are read from the audit trail, where the first application left them.
        var changes = outcome.Status == ChangeStatus.Accepted
            ? [.. outcome.Applied.OrderBy(e => e.Target, StringComparer.Ordinal)]
            : await audit.FindRequestAsync(code, requestId, outcome.Record.Version);
        // Replayed to this call's own retry (its first attempt applied, but the answer came too late) is a first report.
        var replayed = outcome.Status == ChangeStatus.Replayed && outcome.AppliedBy != request.CallId;
        return new ReportResult(
            replayed ? ReportStatus.Replayed : ReportStatus.Accepted,
            requestId, outcome.Record, [], changes.IsEmpty ? outcome.Record.Version : changes[0].Version, changes)
        {
            RecentChanges = outcome.RecentChanges,
        };
    }

    private static ReportResult Error(ReportStatus status, string field, string code, string ja, string en) =>
        new(status, string.Empty, null, [new ValidationError(field, code, ja, en)], null, []);

    /// <summary>The members the report left out become <see cref="SystemChange.Omitted"/>: the grain keeps their values.</summary>
    internal static SystemChange ToChange(string businessId, SystemReport r) => new()
    {
        BusinessId = businessId,
        Phase = r.Phase,
        PlannedGoLive = r.PlannedGoLive,
        Vendor = r.Vendor,
        Hosting = r.Hosting,
        CloudProvider = r.CloudProvider,
        NotApplicable = r.NotApplicable,

        // Left out, "designated" is resolved from the current state; a reason or date given with it still applies.
        Designation = r.Designated || r.Given?.Contains("designated") == false ? new DesignationInput(r.DesignationReason, r.DesignationTarget) : null,
        Reason = r.RegressionReason,
        DesignationReasonNote = r.DesignationReasonNote,
        Omitted = r.Given is { } given ? NotGiven(SystemChange.Members, given) : [],
    };

    private static SecurityChange ToChange(string itemId, SecurityReport r) => new()
    {
        ItemId = itemId,
        Status = r.Status,
        Evidence = r.Evidence,
        LastReviewed = r.LastReviewed,
        Omitted = r.Given is { } given ? NotGiven(SecurityChange.Members, given) : [],
    };

    /// <summary><paramref name="members"/> not in <paramref name="given"/>, in their order; a full report's (none) without allocating.</summary>
    internal static ImmutableArray<string> NotGiven(ImmutableArray<string> members, IReadOnlySet<string> given)
    {
        var missing = 0;
        foreach (var member in members)
        {
            missing += given.Contains(member) ? 0 : 1;
        }

        if (missing == 0)
        {
            return [];
        }

        var omitted = ImmutableArray.CreateBuilder<string>(missing);
        foreach (var member in members)
        {
            if (!given.Contains(member))
            {
                omitted.Add(member);
            }
        }

        return omitted.MoveToImmutable();
    }
}

using System.Collections.Immutable;
using Readiness.Catalog;

namespace Readiness.Rules;

/// <summary>
/// The rules of a prefecture's own systems for the prefecture-run businesses (児童扶養手当, 生活保護). Pure. A report is
/// validated and applied by the municipality's rules (<see cref="ChangeRules"/>: the same fields, messages and audit
/// entries), after two checks of its own: only the prefecture-run businesses, and no security checklist.
/// </summary>
public static class PrefectureRunRules
{
    /// <summary>A new record: both businesses not yet reported, listed as the public baseline's designation list says.</summary>
    public static PrefectureRunRecord Create(string prefectureCode, DateTimeOffset now)
    {
        var listed = ReadinessCatalog.Instance.BaselinePrefectureDesignations.TryGetValue(prefectureCode, out var set) ? set : null;
        return new PrefectureRunRecord
        {
            PrefectureCode = prefectureCode,
            Code = ReadinessCatalog.PrefectureBodyCode(prefectureCode),
            Systems = [.. ReadinessCatalog.PrefectureRunBusinesses.Select(b => new SystemStatus { BusinessId = b, Designated = listed?.Contains(b) == true })],
            Listed = [.. ReadinessCatalog.PrefectureRunBusinesses.Where(b => listed?.Contains(b) == true)],
            CreatedAt = now,
        };
    }

    public static ImmutableArray<ValidationError> Validate(ChangeRequest request, PrefectureRunRecord current, DateOnly today)
    {
        var errors = ImmutableArray.CreateBuilder<ValidationError>();
        var catalog = ReadinessCatalog.Instance;
        for (var i = 0; i < (request.Systems.IsDefault ? 0 : request.Systems.Length); i++)
        {
            var id = request.Systems[i]?.BusinessId;
            if (id is not null && catalog.BusinessIndex.ContainsKey(id) && !ReadinessCatalog.IsPrefectureRun(id))
            {
                errors.Add(new($"systems[{i}].businessId", "not_prefecture_run",
                    $"業務「{id}」は都道府県が実施する事務（児童扶養手当・生活保護）ではありません。",
                    $"'{id}' is not a business run by the prefecture (child_rearing_allowance, public_assistance)."));
            }
        }

        if (!request.Security.IsDefaultOrEmpty)
        {
            errors.Add(new("security", "not_applicable",
                "都道府県が実施する事務の報告にセキュリティ項目は含められません。", "A report of a prefecture's own systems has no security checklist items."));
        }

        if (errors.Count > 0)
        {
            return errors.ToImmutable();
        }

        return ChangeRules.Validate(request, Body(current), today);
    }

    /// <summary>Applies a validated request: one version step, one audit entry per system (keyed by the prefecture's 団体コード).</summary>
    public static (PrefectureRunRecord Record, ImmutableArray<ChangeEntry> Entries) Apply(PrefectureRunRecord current, ChangeRequest request, DateTimeOffset now)
    {
        // A system not yet reported stays so unless the request names its phase (a GET's phase null sent back keeps it).
        var (body, entries) = ChangeRules.Apply(Body(current), request, now, phaseNullUntilReported: true);

        // A system not yet reported has no phase (as every read shows it): its before on its first report, and both sides
        // while it stays unreported (a confirmation then has before = after, phase null: nothing for notifications to judge).
        entries = [.. entries.Select(e =>
        {
            if (!e.Target.StartsWith("system:", StringComparison.Ordinal) || current.FindSystem(e.Target["system:".Length..]) is not { } before
                || PrefectureRunRecord.Counts(before))
            {
                return e;
            }

            var stillUnreported = body.FindSystem(before.BusinessId) is { } after && !PrefectureRunRecord.Counts(after);
            return e with { BeforeFields = Unreported(e.BeforeFields), AfterFields = stillUnreported ? Unreported(e.AfterFields) : e.AfterFields };
        })];
        return (current with
        {
            Version = body.Version,
            Systems = body.Systems,
            LastReportedAt = body.LastReportedAt,
            UpdatedAt = body.UpdatedAt,
            UpdatedBy = body.UpdatedBy,
            // Every system sent is the prefecture's from now on, reported or not: a later designation list keeps it.
            ChangedAt = (current.ChangedAt ?? ImmutableDictionary<string, DateTimeOffset>.Empty)
                .SetItems(request.Systems.IsDefault ? [] : request.Systems.Select(s => KeyValuePair.Create(s.BusinessId, now))),
        }, entries);
    }

    /// <summary>The as-of day of the baseline's designation list (its month's last day), held until a list is applied.</summary>
    private static readonly DateOnly BaselineListAsOf =
        ReadinessCatalog.DesignationSource.AsOfDay;

    /// <summary>
    /// A designation list's row for this prefecture (<paramref name="listed"/>: the businesses marked; empty when the
    /// prefecture has no row, for the list is complete). Sets the listing and the designation flag of each system,
    /// except where the prefecture sent that system itself on or after the list's as-of day, with a phase or without one
    /// (<see cref="PrefectureRunRecord.ChangedSince"/>: its own values win, as a municipality's report does in
    /// <see cref="OfficialRules"/>); a system no longer designated loses its reason and target. A list
    /// older than the one held (or than the baseline's list) changes nothing; the same list again neither; a newer list
    /// that changes nothing still becomes the source (one audit entry, target <c>official:designation</c>).
    /// </summary>
    public static (OfficialOutcome Outcome, PrefectureRunRecord Record, ImmutableArray<ChangeEntry> Entries) ApplyDesignationList(
        PrefectureRunRecord current, OfficialDatasetRef dataset, IReadOnlyCollection<string> listed, Actor actor, DateTimeOffset now, string? clientAddress = null)
    {
        var heldAsOf = current.OfficialDesignation?.AsOf ?? BaselineListAsOf;
        if (heldAsOf > dataset.AsOf)
        {
            return (OfficialOutcome.Older, current, []);
        }

        var version = current.Version + 1;
        var systems = current.Systems.ToBuilder();
        var entries = ImmutableArray.CreateBuilder<ChangeEntry>();
        for (var i = 0; i < systems.Count; i++)
        {
            var before = systems[i];
            var wasListed = current.IsListed(before.BusinessId);
            var isListed = listed.Contains(before.BusinessId);
            // Sent by the prefecture on or after the list's day, with a phase or without one (still unreported): its own.
            var selfReportedLater = current.ChangedSince(before, dataset.AsOf);
            var undesignated = before.Designated && !isListed;
            var after = selfReportedLater ? before : before with
            {
                Designated = isListed,
                DesignationReason = undesignated ? null : before.DesignationReason,
                DesignationTarget = undesignated ? null : before.DesignationTarget,
                DesignationReasonNote = undesignated ? null : before.DesignationReasonNote,
            };
            if (after == before && wasListed == isListed)
            {
                continue;
            }

            systems[i] = after;
            entries.Add(new ChangeEntry
            {
                MunicipalityCode = current.Code,
                Version = version,
                At = now,
                Actor = actor,
                ClientAddress = clientAddress,
                RequestId = "import:" + dataset.DatasetId,
                Target = "system:" + before.BusinessId,
                BeforeFields = Fields(before, wasListed),
                AfterFields = Fields(after, isListed),
            });
        }

        var confirmed = entries.Count == 0;
        if (confirmed)
        {
            if (heldAsOf >= dataset.AsOf)
            {
                return (OfficialOutcome.Unchanged, current, []);
            }

            // A newer list confirming the listing: it becomes the source.
            entries.Add(new ChangeEntry
            {
                MunicipalityCode = current.Code,
                Version = version,
                At = now,
                Actor = actor,
                ClientAddress = clientAddress,
                RequestId = "import:" + dataset.DatasetId,
                Target = "official:designation",
                BeforeFields = [new("dataset", current.OfficialDesignation?.DatasetId ?? "public_baseline"), new("asOf", heldAsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))],
                AfterFields = [new("dataset", dataset.DatasetId), new("asOf", dataset.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))],
            });
        }

        return (confirmed ? OfficialOutcome.Confirmed : OfficialOutcome.Applied, current with
        {
            Version = version,
            Systems = systems.ToImmutable(),
            Listed = [.. ReadinessCatalog.PrefectureRunBusinesses.Where(b => listed.Contains(b))],
            OfficialDesignation = dataset,
            UpdatedAt = now,
            UpdatedBy = actor,
        }, entries.ToImmutable());
    }

    /// <summary>
    /// The additive figures of the systems the prefecture reported (<see cref="PrefectureRunRecord.Counts"/>), by the
    /// municipality's rules (<see cref="ReadinessRules.Summarize"/>); every municipality count is 0.
    /// </summary>
    public static Figures Summarize(PrefectureRunRecord record, DateOnly today)
    {
        var counted = Body(record) with { Systems = [.. record.Systems.Where(PrefectureRunRecord.Counts)] };
        return ReadinessRules.Summarize(counted, today) with
        {
            Municipalities = 0,
            CompleteMunicipalities = 0,
            StaleMunicipalities = 0,
            ReportedMunicipalities = 0,
            MunicipalitiesWithDesignation = 0,
            MunicipalitiesWithOverdue = 0,
        };
    }

    public static PrefectureRunSummary Summary(PrefectureRunRecord record, DateOnly today) => new()
    {
        PrefectureCode = record.PrefectureCode,
        Version = record.Version,
        Figures = Summarize(record, today),
        AsOf = today,
    };

    /// <summary>The record as the municipality's rules take it (no security checklist).</summary>
    private static MunicipalityRecord Body(PrefectureRunRecord r) => new()
    {
        Code = r.Code,
        Version = r.Version,
        Systems = r.Systems,
        Security = [],
        Provenance = new DataProvenance(DataOrigin.PublicBaseline, "都道府県が実施する事務 / Businesses run by the prefecture", []),
        LastReportedAt = r.LastReportedAt,
        CreatedAt = r.CreatedAt,
        UpdatedAt = r.UpdatedAt,
        UpdatedBy = r.UpdatedBy,
        OfficialDesignation = r.OfficialDesignation,
    };

    private static ImmutableArray<AuditField> Fields(SystemStatus s, bool listed)
    {
        var fields = AuditFields.Of(s).Add(new AuditField("listed", listed ? "true" : "false", IsFlag: true));
        return PrefectureRunRecord.Counts(s) ? fields : Unreported(fields);
    }

    /// <summary>A system's audit fields before its first report: phase null, as the API, the list and the page read it.</summary>
    private static ImmutableArray<AuditField> Unreported(ImmutableArray<AuditField> fields) =>
        [.. fields.Select(f => f.Name == "phase" ? f with { Value = null } : f)];
}

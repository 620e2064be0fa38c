using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Web.Api;

namespace Readiness.Web.Auth;

public static class ReadinessPolicies
{
    public const string Summaries = "readiness:summaries";
    public const string MunicipalityRead = "readiness:municipality-read";
    public const string MunicipalityWrite = "readiness:municipality-write";
    public const string Export = "readiness:export";

    /// <summary>Operating the product (backups, the Orleans Dashboard): administrators only.</summary>
    public const string Administration = "readiness:administration";

    /// <summary>Importing the official releases (MIC, Digital Agency): national staff and administrators only.</summary>
    public const string OfficialImport = "readiness:official-import";

    /// <summary>A prefecture's own prefecture-run systems in full: that prefecture, national staff, administrators.</summary>
    public const string PrefectureRunRead = "readiness:prefecture-run-read";

    /// <summary>Reporting a prefecture's own prefecture-run systems: only that prefecture's staff.</summary>
    public const string PrefectureRunWrite = "readiness:prefecture-run-write";

    /// <summary>What changed across a prefecture's municipalities: that prefecture, national staff, administrators.</summary>
    public const string PrefectureChanges = "readiness:prefecture-changes";

    /// <summary>What changed across the nation's municipalities: national staff and administrators.</summary>
    public const string NationChanges = "readiness:nation-changes";

    /// <summary>
    /// A person's own notifications (the inbox and its choices): every signed-in person, never anonymous (even where
    /// summaries are open to all) and never an API client, which has no inbox.
    /// </summary>
    public const string Inbox = "readiness:inbox";
}

public enum TenantScope
{
    Summaries,
    MunicipalityRead,
    MunicipalityWrite,
    Export,
    Administration,
    OfficialImport,
    PrefectureRunRead,
    PrefectureRunWrite,
    Inbox,
    PrefectureChanges,
    NationChanges,
}

public sealed class TenantRequirement(TenantScope scope) : IAuthorizationRequirement
{
    public TenantScope Scope { get; } = scope;
}

/// <summary>Why a signed-in caller was refused, in the words the 403 problem details use.</summary>
public sealed class TenantFailureReason(IAuthorizationHandler handler, string field, string code, string messageJa, string messageEn)
    : AuthorizationFailureReason(handler, messageEn)
{
    public string Field { get; } = field;
    public string Code { get; } = code;
    public string MessageJa { get; } = messageJa;
}

/// <summary>
/// Applies <see cref="TenantAccess"/> to the route's municipality code (or the export's prefecture): the single place
/// where every HTTP endpoint's tenant is checked. The tenant always comes from the caller's claims, never from a body.
/// A malformed or unknown code passes here so that the endpoint can answer 400/404 naming it; it reads nothing.
/// </summary>
public sealed class TenantAuthorizationHandler(IOptions<ReadinessAuthOptions> options) : AuthorizationHandler<TenantRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, TenantRequirement requirement)
    {
        if (requirement.Scope == TenantScope.Summaries && options.Value.AnonymousSummaries)
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        if (context.User.Identity?.IsAuthenticated != true)
        {
            return Task.CompletedTask; // challenge: 401
        }

        var caller = ReadinessCaller.From(context.User, options.Value);
        if (caller is null)
        {
            var (field, code, ja, en) = ReadinessCaller.Refusal(context.User, options.Value);
            context.Fail(new TenantFailureReason(this, field, code, ja, en));
            return Task.CompletedTask;
        }

        var http = context.Resource as HttpContext;
        switch (requirement.Scope)
        {
            case TenantScope.Summaries:
                context.Succeed(requirement);
                break;
            case TenantScope.Inbox:
                if (!caller.IsApiClient)
                {
                    context.Succeed(requirement);
                }
                else
                {
                    context.Fail(new TenantFailureReason(this, "Authorization", "forbidden_client",
                        "通知の受信箱は人のものです。API クライアントにはありません。",
                        "The notification inbox is a person's: API clients have none."));
                }

                break;
            case TenantScope.MunicipalityRead or TenantScope.MunicipalityWrite:
                var code = http?.GetRouteValue("code") as string;
                if (code is null || !ReadinessCatalog.Instance.IsMunicipality(code)
                    || (requirement.Scope == TenantScope.MunicipalityRead ? TenantAccess.CanReadMunicipality(caller, code) : TenantAccess.CanWriteMunicipality(caller, code)))
                {
                    context.Succeed(requirement);
                }
                else
                {
                    var (field, why, ja, en) = requirement.Scope == TenantScope.MunicipalityWrite
                        ? TenantAccess.WriteRefusal(caller, caller is { Role: Role.Municipality } && caller.Tenant == code, ("code", "forbidden_tenant",
                            $"団体コード「{code}」のデータを更新する権限がありません（更新できるのは自団体のみです）。",
                            $"You may not change the data of '{code}': only the municipality itself reports its data."))
                        : ("code", "forbidden_tenant", $"団体コード「{code}」の詳細を閲覧する権限がありません。", $"You may not read the details of '{code}'.");
                    context.Fail(new TenantFailureReason(this, field, why, ja, en));
                }

                break;
            case TenantScope.Export:
                var prefecture = http?.Request.Query["prefecture"].ToString();
                var known = !string.IsNullOrEmpty(prefecture) && ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefecture);
                if (caller.Role != Role.Municipality && (!known || TenantAccess.CanExport(caller, prefecture)))
                {
                    context.Succeed(requirement);
                }
                else
                {
                    context.Fail(new TenantFailureReason(this, "prefecture", "forbidden_tenant",
                        "この範囲の明細を出力する権限がありません（都道府県は自県のみ、国・管理者は全体）。",
                        "You may not export this scope (a prefecture exports its own; national and admin export any)."));
                }

                break;
            case TenantScope.Administration:
                if (caller.Role == Role.Admin)
                {
                    context.Succeed(requirement);
                }
                else
                {
                    context.Fail(new TenantFailureReason(this, "role", "forbidden_role",
                        "この操作は管理者（admin）だけが行えます。", "Only administrators (role admin) may do this."));
                }

                break;
            case TenantScope.PrefectureRunRead or TenantScope.PrefectureRunWrite:
                var prefCode = http?.GetRouteValue("prefCode") as string ?? http?.GetRouteValue("code") as string;
                if (prefCode is null || !ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode)
                    || (requirement.Scope == TenantScope.PrefectureRunRead ? TenantAccess.CanReadPrefectureRun(caller, prefCode) : TenantAccess.CanWritePrefectureRun(caller, prefCode)))
                {
                    context.Succeed(requirement);
                }
                else
                {
                    var (field, why, ja, en) = requirement.Scope == TenantScope.PrefectureRunWrite
                        ? TenantAccess.WriteRefusal(caller, caller is { Role: Role.Prefecture } && caller.Tenant == prefCode, ("prefCode", "forbidden_tenant",
                            $"都道府県「{prefCode}」が実施する事務を報告する権限がありません（報告できるのはその都道府県の職員のみです）。",
                            $"You may not report the systems prefecture '{prefCode}' runs: only that prefecture's staff report them."))
                        : ("prefCode", "forbidden_tenant",
                            $"都道府県「{prefCode}」が実施する事務の詳細を閲覧する権限がありません。", $"You may not read the details of the systems prefecture '{prefCode}' runs.");
                    context.Fail(new TenantFailureReason(this, field, why, ja, en));
                }

                break;
            case TenantScope.PrefectureChanges:
                var changesOf = http?.GetRouteValue("prefCode") as string;
                if (changesOf is null || !ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(changesOf) || TenantAccess.CanReadPrefectureChanges(caller, changesOf))
                {
                    context.Succeed(requirement);
                }
                else
                {
                    context.Fail(new TenantFailureReason(this, "prefCode", "forbidden_tenant",
                        $"都道府県「{changesOf}」の市区町村の変更履歴を閲覧する権限がありません（閲覧できるのはその都道府県、国の職員、管理者です）。",
                        $"You may not read the changes across prefecture '{changesOf}': only that prefecture, national staff and administrators may."));
                }

                break;
            case TenantScope.NationChanges:
                if (caller.Role is Role.National or Role.Admin)
                {
                    context.Succeed(requirement);
                }
                else
                {
                    context.Fail(new TenantFailureReason(this, "role", "forbidden_role",
                        "全国の変更履歴は国の職員（national）と管理者（admin）だけが閲覧できます。",
                        "Only national staff (role national) and administrators (role admin) may read the changes across the nation."));
                }

                break;
            case TenantScope.OfficialImport:
                if (caller.Role is Role.National or Role.Admin)
                {
                    context.Succeed(requirement);
                }
                else
                {
                    context.Fail(new TenantFailureReason(this, "role", "forbidden_role",
                        "公式データの取込みは国の職員（national）と管理者（admin）だけが行えます。",
                        "Only national staff (role national) and administrators (role admin) may import official data."));
                }

                break;
        }

        return Task.CompletedTask;
    }
}

/// <summary>Turns refused API requests into problem details (401 with WWW-Authenticate, 403 naming the field) and logs them.</summary>
public sealed class ProblemAuthorizationResultHandler(SecurityLog securityLog, IOptions<ReadinessAuthOptions> options) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler fallback = new();

    // An authorized request goes on without an async frame of its own (issue 14: a state machine per request).
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult) =>
        authorizeResult.Succeeded || !context.Request.Path.StartsWithSegments("/api")
            ? fallback.HandleAsync(next, context, policy, authorizeResult)
            : RefuseAsync(context, authorizeResult);

    private async Task RefuseAsync(HttpContext context, PolicyAuthorizationResult authorizeResult)
    {
        var caller = ReadinessCaller.From(context.User, options.Value);
        if (authorizeResult.Challenged)
        {
            // Only refused requests pay for this: the handlers keep the request's result, so nothing is validated twice.
            var authorization = context.Request.Headers.Authorization.ToString();
            var failure = authorization.Length > 0 ? (await context.AuthenticateAsync()).Failure : null;
            var refusal = CredentialRefusal.From(authorization, failure, Clients.ClientsSetup.IsClientToken(authorization));
            securityLog.Refused(context, caller, "unauthenticated", 401, refusal.Detail);
            await context.ChallengeAsync(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme);
            await Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", "Authorization", refusal.Code, refusal.MessageJa, refusal.MessageEn).ExecuteAsync(context);
            return;
        }

        var reason = authorizeResult.AuthorizationFailure?.FailureReasons.OfType<TenantFailureReason>().FirstOrDefault();
        securityLog.Refused(context, caller, "forbidden", 403, reason?.Message ?? "policy not satisfied");
        await Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", reason?.Field ?? "role", reason?.Code ?? "forbidden",
            reason?.MessageJa ?? "この操作を行う権限がありません。", reason?.Message ?? "You may not do this.").ExecuteAsync(context);
    }
}

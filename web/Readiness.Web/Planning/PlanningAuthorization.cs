using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Readiness.Web.Auth;

namespace Readiness.Web.Planning;

/// <summary>
/// What-if scenarios are for national staff (Digital Agency / MIC) and administrators (domain.md roles): this policy
/// admits those two roles; everyone else gets 403 naming the role. Forecasts themselves follow the existing policies
/// (summaries for the nation and prefectures, municipality-read for a municipality).
/// </summary>
public static class PlanningPolicies
{
    public const string Scenarios = "readiness:planning-scenarios";
}

public sealed class NationalStaffRequirement : IAuthorizationRequirement;

public sealed class NationalStaffHandler(IOptions<ReadinessAuthOptions> options) : AuthorizationHandler<NationalStaffRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, NationalStaffRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            return Task.CompletedTask; // 401
        }

        var caller = ReadinessCaller.From(context.User, options.Value);
        if (caller is { Role: Role.National or Role.Admin })
        {
            context.Succeed(requirement);
        }
        else if (caller is null)
        {
            // Claims that make no caller are refused for what is wrong with them, as every other policy does.
            var (field, code, ja, en) = ReadinessCaller.Refusal(context.User, options.Value);
            context.Fail(new TenantFailureReason(this, field, code, ja, en));
        }
        else
        {
            context.Fail(new TenantFailureReason(this, "role", "forbidden_role",
                "シナリオは国（デジタル庁・総務省）の職員と管理者のみが利用できます。", "Scenarios are for national staff (Digital Agency / MIC) and administrators only."));
        }

        return Task.CompletedTask;
    }

    public static bool IsNationalStaff(HttpContext http, ReadinessAuthOptions options) =>
        ReadinessCaller.From(http.User, options) is { Role: Role.National or Role.Admin };
}

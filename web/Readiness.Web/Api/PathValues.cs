using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Planning;
using Readiness.Rules;
using Readiness.Web.Auth;

namespace Readiness.Web.Api;

/// <summary>
/// The one rule for an API route's path parameters: a value that cannot be that kind of identifier at all (a
/// prefecture code <c>1x</c> or <c>999</c>, a municipality code <c>12345</c> or one with a wrong check digit) is
/// 400 <c>invalid_path_value</c> naming the route parameter as the OpenAPI document declares it, with the expected
/// shape; a well-formed identifier that names nothing is the endpoint's 404 <c>not_found</c>. Applied once, after
/// authorization (the tenant handler lets a malformed code through so that it is named here, not refused as another
/// tenant's), to every /api endpoint, so a new route follows it without repeating the checks.
/// </summary>
public static partial class PathValues
{
    public const string InvalidCode = "invalid_path_value";

    /// <summary>The expected shape of one kind of identifier, in Japanese and English, and its test.</summary>
    public sealed record Shape(string Ja, string En, Func<string, bool> Accepts);

    private static readonly Shape Municipality = new("6桁の団体コード（末尾は検査数字、例 131016）", "a 6-digit local government code whose last digit is its check digit (e.g. 131016)", MunicipalityCode.IsValid);
    private static readonly Shape Prefecture = new("2桁の都道府県コード 01〜47（例 13）", "a 2-digit prefecture code 01-47 (e.g. 13)", v => PrefectureCode().IsMatch(v));
    private static readonly Shape Business = new("業務 ID（英小文字・数字・「_」、例 child_allowance）", "a business system id: lower-case letters, digits and '_' (e.g. child_allowance)", v => BusinessId().IsMatch(v));
    private static readonly Shape Item = new("セキュリティ項目 ID（SEC-章-番号、例 SEC-2-01）", "a security checklist item id SEC-chapter-number (e.g. SEC-2-01)", v => ItemId().IsMatch(v));
    private static readonly Shape Client = new("API クライアント ID（rc_ で始まる英小文字・数字）", "an API client id: 'rc_' and lower-case letters or digits", v => Opaque("rc_", v));
    private static readonly Shape Notification = new("通知 ID（ntf_ で始まる英小文字・数字）", "a notification id: 'ntf_' and lower-case letters or digits", v => Opaque("ntf_", v));
    private static readonly Shape Webhook = new("Webhook ID（wh_ で始まる英小文字・数字）", "a webhook id: 'wh_' and lower-case letters or digits", v => Opaque("wh_", v));
    private static readonly Shape Import = new("取込み ID（SHA-256 の16進64桁、小文字）", "an import id: 64 lower-case hex digits of SHA-256", Readiness.Web.Imports.OfficialImportService.IsId);

    private static readonly Shape Backup = new("バックアップ名（readiness-日時.db、例 readiness-20261130T091500Z.db）", "a backup name readiness-<UTC time>.db (e.g. readiness-20261130T091500Z.db)", v => BackupName().IsMatch(v));

    private static readonly Shape Scenario = new($"シナリオ名（1〜{ScenarioRules.MaxNameLength}文字、制御文字・表示されない文字・文字の向きを変える文字を含まない）",
        $"a scenario name: 1-{ScenarioRules.MaxNameLength} characters without control, invisible or direction-changing characters", ScenarioRules.IsName);

    /// <summary>
    /// The shape of a route parameter of an /api route, by its name (one name per concept; <c>id</c> is each resource's
    /// own id, told apart by the collection before it); null for a name this rule does not know.
    /// </summary>
    public static Shape? For(string routePattern, string name) => name switch
    {
        "code" => Municipality,
        "prefCode" => Prefecture,
        "businessId" => Business,
        "itemId" => Item,
        "clientId" => Client,
        "scenario" => Scenario,
        "id" when routePattern.Contains("/webhooks/", StringComparison.Ordinal) => Webhook,
        "id" when routePattern.Contains("/notifications/", StringComparison.Ordinal) => Notification,
        "id" when routePattern.Contains("/imports/", StringComparison.Ordinal) => Import,
        "name" when routePattern.Contains("/backups/", StringComparison.Ordinal) => Backup,
        _ => null,
    };

    /// <summary>400 <c>invalid_path_value</c> naming <paramref name="name"/>, with the shape expected; null when the value has it.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Check(string routePattern, string name, string value) =>
        For(routePattern, name) is { } shape && !shape.Accepts(value) ? Refusal(name, value, shape) : null;

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refusal(string name, string value, Shape shape) =>
        Problems.BadRequest(name, InvalidCode,
            $"{name} に「{Shown(value)}」は指定できません。{shape.Ja}を指定してください。",
            $"'{Shown(value)}' is not a valid {name}: expected {shape.En}.");

    /// <summary>The middleware: every path parameter of the matched /api endpoint, in route order; the first malformed one is answered.</summary>
    // Not async, and the parameters walked by index: a request that passes goes on without a state machine or an
    // enumerator of its own (issue 14's allocation per change).
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        if (http.GetEndpoint() is RouteEndpoint { RoutePattern: { Parameters.Count: > 0 } pattern } && pattern.RawText is { } raw
            && raw.StartsWith("/api/", StringComparison.Ordinal))
        {
            var parameters = pattern.Parameters;
            for (var i = 0; i < parameters.Count; i++)
            {
                var parameter = parameters[i];
                if (http.GetRouteValue(parameter.Name) is string value && Check(raw, parameter.Name, value) is { } problem)
                {
                    var options = http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value;
                    http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, ReadinessCaller.From(http.User, options), "invalid",
                        StatusCodes.Status400BadRequest, $"{parameter.Name}: {InvalidCode}");
                    return problem.ExecuteAsync(http);
                }
            }
        }

        return next(http);
    }

    private static string Shown(string value) => Problems.Shown(value);

    private static bool Opaque(string prefix, string value) =>
        value.Length is > 3 and <= 100 && value.StartsWith(prefix, StringComparison.Ordinal) && value.Length > prefix.Length && OpaqueTail().IsMatch(value.AsSpan(prefix.Length));

    [GeneratedRegex("^(0[1-9]|[1-3][0-9]|4[0-7])\\z", RegexOptions.CultureInvariant)]
    private static partial Regex PrefectureCode();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex BusinessId();

    [GeneratedRegex("^readiness-[0-9]{8}T[0-9]{6}Z\\.db\\z", RegexOptions.CultureInvariant)]
    private static partial Regex BackupName();

    [GeneratedRegex("^SEC-[0-9]{1,2}-[0-9]{2}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ItemId();

    [GeneratedRegex("^[0-9a-z_]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex OpaqueTail();
}

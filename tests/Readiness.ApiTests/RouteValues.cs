using System.Text.RegularExpressions;

namespace Readiness.ApiTests;

/// <summary>
/// Real values for a route pattern's parameters, for the tests that walk every endpoint (query fuzzing, body contract,
/// form refusals, HEAD): a code after "prefectures/" or "digests/" is Tokyo's (13), a language "en", any other code
/// 千代田区; a business is a prefecture-run one under a prefecture's route; a checklist item SEC-2-01; a map layer
/// "japan"; an API client "rc_none", a backup "readiness-20000101T000000Z.db", a notification "ntf_none", a webhook "wh_none", an import 64 zeros (well-formed ids
/// that name nothing, so the route's shape check passes); anything else "x". Catch-alls and
/// constraints ({*path}, {code:regex}) are filled the same way.
/// </summary>
public static partial class RouteValues
{
    /// <summary>
    /// The pattern with its values filled, as a client writes the path: an /api/v1 group's own route ("/" in
    /// MapGroup("/api/v1/imports")) without its trailing slash, which the API refuses as not canonical (ApiPaths).
    /// </summary>
    public static string Fill(string pattern) => pattern.StartsWith("/api/v1/", StringComparison.Ordinal) && pattern.EndsWith('/')
        ? Filled(pattern).TrimEnd('/')
        : Filled(pattern);

    private static string Filled(string pattern) => Parameter().Replace(pattern, m => m.Groups["before"].Value + m.Groups["name"].Value switch
    {
        "code" or "Code" => m.Groups["before"].Value switch
        {
            "prefectures/" or "digests/" => "13",
            "lang/" => "en",
            _ => ApiHost.Chiyoda,
        },
        "prefCode" => "13",
        "businessId" => pattern.Contains("prefectures", StringComparison.Ordinal) ? "public_assistance" : "child_allowance",
        "itemId" => "SEC-2-01",
        "layer" => "japan",
        "clientId" => "rc_none",
        "name" when pattern.Contains("/backups/", StringComparison.Ordinal) => "readiness-20000101T000000Z.db",
        "id" when pattern.Contains("webhooks/", StringComparison.Ordinal) => "wh_none",
        "id" when pattern.Contains("notifications/", StringComparison.Ordinal) => "ntf_none",
        "id" when pattern.Contains("/api/v1/imports/", StringComparison.Ordinal) => new string('0', 64),
        _ => "x",
    });

    [GeneratedRegex(@"(?<before>[a-z-]+/)?\{\*?(?<name>[A-Za-z]+)[^}]*\}")]
    private static partial Regex Parameter();
}

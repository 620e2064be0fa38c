using System.Text.RegularExpressions;

namespace Readiness.ApiTests;

/// <summary>
/// Real values for a route pattern's parameters, for the tests that walk every endpoint (query fuzzing, body contract,
/// form refusals, HEAD): a code after "prefectures/" or "digests/" is Tokyo's (13), a language "en", any other code
/// 千代田区; a business is a prefecture-run one under a prefecture's route; a checklist item SEC-2-01; a map layer
/// "japan"; anything else "x". Catch-alls and
/// constraints ({*path}, {code:regex}) are filled the same way.
/// </summary>
public static partial class RouteValues
{
    public static string Fill(string pattern) => Parameter().Replace(pattern, m => m.Groups["before"].Value + m.Groups["name"].Value switch
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
        _ => "x",
    });

    [GeneratedRegex(@"(?<before>[a-z-]+/)?\{\*?(?<name>[A-Za-z]+)[^}]*\}")]
    private static partial Regex Parameter();
}

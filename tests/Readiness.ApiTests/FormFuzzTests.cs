using System.Net;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Bad input never gets a 5xx, on any form: every POST endpoint that takes an antiforgery token (<see cref="FormEndpoints"/>, read
/// from the running host, so a new form is covered without being listed) is posted a valid token and
/// hostile fields (every field name the forms read, set to garbage, empty or too long; a passkey ceremony nobody
/// began), by a visitor who is not signed in, an administrator's account session (password and second factor) and a
/// municipality's token session. The kind of fault found: a passkey posted without its options was a 500.
/// </summary>
public sealed class FormFuzzTests(AccountHost host, ITestOutputHelper output) : IClassFixture<AccountHost>
{
    /// <summary>Every field name the form endpoints read (form["..."] in web/Readiness.Web), and the pages' own.</summary>
    private static readonly string[] Fields =
    [
        "active", "code", "confirm", "content", "credential", "displayName", "email", "expiresAt", "fileName", "id", "method",
        "name", "page", "password", "requestId", "returnUrl", "role", "scope", "tenant", "token", "version", "kind",
        "regression.frequency", "regression.inApp", "regression.mail", "capacity", "cloudProvider", "description", "designated",
        "designationReason", "designationReasonNote", "designationTarget", "evidence", "hosting", "lastReviewed", "notApplicable", "phase",
        "plannedGoLive", "progress", "regressionReason", "security", "shiftMonths", "shiftPrefecture", "stale", "status",
        "unreportedRate", "vendor", "url", "user", "_handler",
    ];

    private static readonly string[] Garbage =
    [
        string.Empty, "{}", "not json", "-1", "99999999999999999999", "2026-13-45", "0001-01-01", "9999-12-31", "\u3164", new('a', 600),
        """{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"AA"}}""",
    ];

    [Fact]
    public async Task No_form_answers_a_server_error_to_hostile_fields()
    {
        // The sessions end last (a stable sort keeps the rest in ordinal order).
        var forms = FormEndpoints.Patterns(host.Services).OrderBy(p => p.Contains("signout", StringComparison.Ordinal)).ToList();
        Assert.Contains("/account/passkeys", forms);
        Assert.Contains("/account/signin/passkey", forms);
        Assert.True(forms.Count >= 30, $"only {forms.Count} form endpoints: {string.Join(", ", forms)}");

        var (administrator, _) = await Accounts.SetUpAdministratorAsync(host);
        using var visitor = new FormClient(host.BaseAddress);
        using var municipality = await host.SignedInPagesAsync(host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda, "fuzz@city.chiyoda"));
        var callers = new (string Name, HttpClient Http, string Page)[]
        {
            ("visitor", visitor.Http, "/signin"), ("administrator", administrator.Http, "/account"), ("municipality", municipality, $"/municipalities/{ApiHost.Chiyoda}"),
        };

        var bodies = new List<(string Name, Dictionary<string, string> Fields)> { ("token only", []) };
        bodies.AddRange(Garbage.Select(g => ($"every field = {Shown(g)}", Fields.ToDictionary(f => f, _ => g))));

        var failures = new List<string>();
        var posts = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (name, http, page) in callers)
        {
            var antiforgery = await AntiforgeryAsync(http, page);
            foreach (var pattern in forms)
            {
                foreach (var (bodyName, fields) in bodies)
                {
                    var path = RouteValues.Fill(pattern);
                    using var request = new HttpRequestMessage(HttpMethod.Post, path)
                    {
                        Content = new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = antiforgery }),
                    };
                    using var response = await http.SendAsync(request);
                    posts++;
                    if ((int)response.StatusCode >= 500)
                    {
                        var text = await response.Content.ReadAsStringAsync();
                        failures.Add($"{(int)response.StatusCode} POST {path} as {name}, {bodyName}: {text[..Math.Min(300, text.Length)]}");
                    }
                }
            }
        }

        output.WriteLine($"{forms.Count} form endpoints × {callers.Length} callers × {bodies.Count} bodies = {posts} posts in {started.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"{failures.Count} of {posts} posts answered a server error:\n{string.Join("\n", failures.Take(40))}");
    }

    private static async Task<string> AntiforgeryAsync(HttpClient http, string page)
    {
        var html = await http.GetStringAsync(page);
        var token = Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), $"no antiforgery token on {page}");
        return WebUtility.HtmlDecode(token);
    }

    private static string Shown(string value) => value.Length > 20 ? $"{value.Length} × '{value[0]}'" : $"\"{value}\"";
}

using System.Net;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A person's browser past the rate limit gets a ja/en page saying how long to wait (Retry-After kept), not
/// application/problem+json: a sign-in or forgotten-password form posted ~120 times a minute from one address answered
/// 429 problem details even with Accept: text/html (breaker's finding). Every form endpoint outside /api is walked
/// (<see cref="FormEndpoints"/>); those without a writes budget never reach 429 and are
/// skipped. Four writes a minute; each walk uses its own forwarded client address.
/// </summary>
public sealed class FormRateLimitTests(TokenRateLimitHost host) : IClassFixture<TokenRateLimitHost>
{
    private const string HtmlAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    [Fact]
    public async Task Every_form_endpoint_past_the_limit_answers_a_ja_en_page_for_someone_not_signed_in()
    {
        var forms = FormEndpoints.Patterns(host.Services);
        Assert.Contains("/account/signin", forms);
        Assert.Contains("/account/password/forgot", forms);

        var limited = new List<string>();
        var failures = new List<string>();
        for (var i = 0; i < forms.Count; i++)
        {
            var address = $"203.0.113.{100 + i}";
            HttpResponseMessage? last = null;
            for (var n = 0; n <= TokenRateLimitHost.Writes; n++)
            {
                last?.Dispose();
                last = await PostAsync(RouteValues.Fill(forms[i]), address);
            }

            using var response = last!;
            if (response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                continue; // not under the writes budget (RateLimitCoverageTests lists which may be so)
            }

            limited.Add(forms[i]);
            if (await PageProblem(response, signedIn: false) is { } problem)
            {
                failures.Add($"{forms[i]}: {problem}");
            }
        }

        Assert.Contains("/account/signin", limited);
        Assert.Contains("/account/password/forgot", limited);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_signed_in_persons_form_past_the_limit_answers_a_ja_en_page()
    {
        using var client = await host.SignedInPagesAsync(host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda, "form-rate@" + ApiHost.Chiyoda));
        HttpResponseMessage? last = null;
        for (var n = 0; n <= TokenRateLimitHost.Writes; n++)
        {
            last?.Dispose();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/notifications/preferences")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["x"] = "1" }),
            };
            request.Headers.Add("Accept", HtmlAccept);
            last = await client.SendAsync(request);
        }

        using var response = last!;
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode}");
        Assert.Null(await PageProblem(response, signedIn: true));
    }

    /// <summary>
    /// A browser past the limit at an address outside /api that is neither page nor form (the external sign-in's return
    /// and refusal addresses; a CSV download likewise) gets the same ja/en page; a client asking for JSON keeps the
    /// problem document. Failed before: application/problem+json to the browser too.
    /// </summary>
    [Theory]
    [InlineData("/account/external/refused", "203.0.113.240")]
    [InlineData("/account/external/callback", "203.0.113.241")]
    public async Task A_browser_past_the_limit_at_an_address_with_no_page_gets_the_ja_en_page(string path, string address)
    {
        HttpResponseMessage? last = null;
        for (var n = 0; n <= TokenRateLimitHost.Writes; n++)
        {
            last?.Dispose();
            last = await GetAsync(path, address, HtmlAccept);
        }

        using (var response = last!)
        {
            Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode}");
            Assert.Null(await PageProblem(response, signedIn: false));
        }

        using var json = await GetAsync(path, address, "application/json");
        Assert.Equal(HttpStatusCode.TooManyRequests, json.StatusCode);
        Assert.Equal("application/problem+json", json.Content.Headers.ContentType?.MediaType);
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string address, string accept)
    {
        using var http = host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-For", address);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return await http.SendAsync(request);
    }

    /// <summary>What is wrong with a 429 page (null: nothing): HTML, Retry-After, the wait in both languages, Japanese first.</summary>
    private static async Task<string?> PageProblem(HttpResponseMessage response, bool signedIn)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "text/html")
        {
            return $"{response.Content.Headers.ContentType}: {body[..Math.Min(200, body.Length)]}";
        }

        if (response.Headers.RetryAfter?.Delta is not { TotalSeconds: >= 1 and <= 60 } wait)
        {
            return $"Retry-After {response.Headers.RetryAfter}";
        }

        var seconds = (int)wait.TotalSeconds;
        var ja = body.IndexOf($"{seconds}秒待って", StringComparison.Ordinal);
        var en = body.IndexOf($"Wait {seconds} seconds", StringComparison.Ordinal);
        if (ja < 0 || en < 0 || ja > en)
        {
            return $"the wait ({seconds} s) not in Japanese, then English: {body[..Math.Min(300, body.Length)]}";
        }

        return !signedIn && (body.Contains("organisation", StringComparison.Ordinal) || body.Contains("所属団体", StringComparison.Ordinal))
            ? "wording for a signed-in person shown to someone not signed in"
            : null;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string address)
    {
        using var http = host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "nobody@example.jp", ["password"] = "x" }),
        };
        request.Headers.Add("X-Forwarded-For", address);
        request.Headers.Add("Accept", HtmlAccept);
        return await http.SendAsync(request);
    }
}

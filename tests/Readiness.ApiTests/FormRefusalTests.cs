using System.Net;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every form endpoint's refusals are one ja/en page: a post without an antiforgery token (every POST endpoint that
/// requires one, <see cref="FormEndpoints"/>) gets 400 and the page, never the framework's
/// English text; a form posted with a valid token to an unknown business or prefecture gets the 404 page naming it.
/// </summary>
public sealed class FormRefusalTests(WarmApiHost host) : IClassFixture<WarmApiHost>
{
    private const string RawFrameworkText = "A valid antiforgery token was not provided";

    [Fact]
    public async Task Every_form_endpoint_without_an_antiforgery_token_answers_the_ja_en_page()
    {
        var forms = FormEndpoints.Patterns(host.Services);
        Assert.Contains("/account/signin", forms); // a form for someone not signed in
        Assert.Contains("/admin/notifications", forms); // a page that handles its own form
        Assert.Contains("/prefectures/{prefCode}/systems/{businessId}", forms);

        var clients = new List<HttpClient>();
        foreach (var token in new[]
                 {
                     host.Token(Readiness.Role.Admin), host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda, "form-refusal@" + ApiHost.Chiyoda),
                     host.Token(Readiness.Role.Prefecture, "13"), host.Token(Readiness.Role.National),
                 })
        {
            clients.Add(await SignedInAsync(token));
        }

        var failures = new List<string>();
        foreach (var pattern in forms)
        {
            var path = RouteValues.Fill(pattern);
            var answered = false;
            foreach (var client in clients)
            {
                using var response = await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "garbage", ["version"] = "0" }));
                var body = await response.Content.ReadAsStringAsync();
                Assert.DoesNotContain(RawFrameworkText, body, StringComparison.Ordinal);
                if (response.StatusCode != HttpStatusCode.BadRequest)
                {
                    continue;
                }

                answered = true;
                if (response.Content.Headers.ContentType?.MediaType != "text/html" || !body.Contains("ページを再読み込み", StringComparison.Ordinal)
                    || !body.Contains("Reload the page", StringComparison.Ordinal))
                {
                    failures.Add($"{pattern}: {response.Content.Headers.ContentType} {body[..Math.Min(200, body.Length)]}");
                }

                break;
            }

            if (!answered)
            {
                failures.Add($"{pattern} ({path}): no caller got 400");
            }
        }

        foreach (var client in clients)
        {
            client.Dispose();
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("/prefectures/13/systems/nope", "prefecture", "businessId")]
    [InlineData("/prefectures/99/systems/child_rearing_allowance", "prefecture", "prefCode")]
    [InlineData("/municipalities/131016/systems/nope", "municipality", "businessId")]
    [InlineData("/municipalities/131016/security/nope", "municipality", "itemId")]
    public async Task A_form_posted_to_an_unknown_route_value_answers_the_ja_en_404_page(string path, string who, string field)
    {
        var token = who == "prefecture" ? host.Token(Readiness.Role.Prefecture, "13") : host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda, "form-404@" + ApiHost.Chiyoda);
        using var client = await SignedInAsync(token);
        using var page = await client.GetAsync(who == "prefecture" ? "/prefectures/13" : "/municipalities/" + ApiHost.Chiyoda);
        var html = await page.Content.ReadAsStringAsync();
        var marker = "name=\"__RequestVerificationToken\"";
        var at = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, "no antiforgery token on the page");
        var input = html[html.LastIndexOf("<input", at, StringComparison.Ordinal)..html.IndexOf('>', at)];
        var valueAt = input.IndexOf("value=\"", StringComparison.Ordinal) + 7;
        var antiforgery = WebUtility.HtmlDecode(input[valueAt..input.IndexOf('"', valueAt)]);

        using var response = await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = antiforgery, ["version"] = "0", ["phase"] = "in_production",
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(field, body, StringComparison.Ordinal);
        Assert.Contains("見つかりません", body, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", body, StringComparison.Ordinal);
    }

    private Task<HttpClient> SignedInAsync(string token) => host.SignedInPagesAsync(token);
}

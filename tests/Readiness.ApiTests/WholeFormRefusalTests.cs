using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A dashboard form refused whole, before its endpoint reads it (a breaker's findings, round 48): its page links back
/// to the form's page, keeping the query of the address posted to (a token form's <c>?token=</c>), through
/// <c>/lang/</c> in the language posted in, as the 413 page does; and a form past the form reader's limits (too many
/// fields, a field or a field's name too long) is told so, 413 as the API tells it, not as an expired form.
/// </summary>
public sealed partial class WholeFormRefusalTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private const string Action = "/municipalities/" + ApiHost.Chiyoda + "/systems/koseki";

    /// <summary>The back link to the municipality's page in <paramref name="language"/>.</summary>
    private static string BackToMunicipality(string language) =>
        WebUtility.HtmlEncode($"/lang/{language}?returnUrl={Uri.EscapeDataString("/municipalities/" + ApiHost.Chiyoda + "#edit-system-koseki")}");

    private static string MainOf(string html) => Regex.Match(html, "<main.*</main>", RegexOptions.Singleline).Value;

    private async Task<(HttpClient Client, string Token)> SignedInAsync(string subject)
    {
        var client = await host.SignedInPagesAsync(host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda, subject + "@" + ApiHost.Chiyoda));
        var html = await client.GetStringAsync("/municipalities/" + ApiHost.Chiyoda);
        var token = TokenField().Match(html).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token));
        return (client, token);
    }

    private static async Task<(HttpStatusCode Status, string Html)> PostAsync(HttpClient client, string action, HttpContent content, bool chunked = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = content };
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static StringContent UrlEncoded(string body) => new(body, Encoding.ASCII, "application/x-www-form-urlencoded");

    /// <summary>
    /// Every whole-form 400 page (a field sent twice, a field that is not UTF-8, a missing token, on a municipality's
    /// form; a missing token on a token form posted with ?language=en) links back to the form's page. Failed before:
    /// none of them had the link.
    /// </summary>
    [Fact]
    public async Task Every_whole_form_400_page_links_back_to_the_form_keeping_the_address_query()
    {
        var (client, token) = await SignedInAsync("back.link");
        using (client)
        {
            var t = Uri.EscapeDataString(token);
            foreach (var (name, body) in new[]
                     {
                         ("repeated", $"__RequestVerificationToken={t}&version=0&phase=in_production&Phase=planning"),
                         ("not UTF-8", $"__RequestVerificationToken={t}&version=0&phase=%FF"),
                         ("no token", "version=0&phase=in_production"),
                     })
            {
                var (status, html) = await PostAsync(client, Action, UrlEncoded(body));
                Assert.True(status == HttpStatusCode.BadRequest, $"{name}: {(int)status}");
                Assert.True(html.Contains($"href=\"{BackToMunicipality("ja")}\"", StringComparison.Ordinal), $"{name}: {MainOf(html)}");
                Assert.Contains("フォームに戻る", html, StringComparison.Ordinal);
            }
        }

        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        foreach (var (action, page) in new[] { ("/account/invitation", "/invitation"), ("/account/setup", "/setup"), ("/account/password/reset", "/password/reset") })
        {
            var (status, html) = await PostAsync(anonymous, action + "?token=abc123&language=en", UrlEncoded("displayName=x"));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("<html lang=\"en\"", html, StringComparison.Ordinal);
            var back = WebUtility.HtmlEncode($"/lang/en?returnUrl={Uri.EscapeDataString(page + "?token=abc123")}");
            Assert.True(html.Contains($"href=\"{back}\"", StringComparison.Ordinal), $"{action}: {MainOf(html)}");
            Assert.Contains("Back to the form", html, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Too many fields and a field's name too long (URL-encoded), too many parts (multipart): 413, saying which limit
    /// in Japanese and English with the back link. Failed before: the 400 "the form has expired" page. (A multipart
    /// text part past 256 KiB is past the form's whole body limit first: the 413 "too large" page.)
    /// </summary>
    [Fact]
    public async Task A_form_past_the_reader_s_limits_is_told_which_limit_not_that_it_expired()
    {
        var (client, token) = await SignedInAsync("reader.limits");
        using (client)
        {
            var t = Uri.EscapeDataString(token);
            var many = $"__RequestVerificationToken={t}&" + string.Join('&', Enumerable.Range(0, 1100).Select(i => $"f{i}=1"));
            var longName = $"__RequestVerificationToken={t}&{new string('k', 3000)}=1";

            var manyParts = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" } };
            foreach (var i in Enumerable.Range(0, 1100))
            {
                manyParts.Add(new StringContent("1"), $"f{i}");
            }

            foreach (var (name, content, chunked, ja, en) in new (string, HttpContent, bool, string, string)[]
                     {
                         ("too many fields", UrlEncoded(many), false, "フォームの項目が多すぎます（上限 1,024 個）", "The form has too many fields (at most 1,024)"),
                         ("name too long", UrlEncoded(longName), false, "フォームの項目名が長すぎます（上限 2,048 文字）", "A form field's name is too long (at most 2,048 characters)"),
                         ("too many parts", manyParts, false, "フォームの項目が多すぎます（上限 1024 個）", "The form has too many fields (at most 1024)"),
                     })
            {
                using (content)
                {
                    var (status, html) = await PostAsync(client, Action, content, chunked);
                    var text = WebUtility.HtmlDecode(html);
                    Assert.True(status == HttpStatusCode.RequestEntityTooLarge, $"{name}: {(int)status} {MainOf(html)}");
                    Assert.True(text.Contains(ja, StringComparison.Ordinal) && text.Contains(en, StringComparison.Ordinal), $"{name}: {MainOf(html)}");
                    Assert.DoesNotContain("有効期限が切れた", text, StringComparison.Ordinal);
                    Assert.Contains($"href=\"{BackToMunicipality("ja")}\"", html, StringComparison.Ordinal);
                }
            }
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Readiness;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A chosen file of 0 bytes is refused as empty (400 empty_file naming "file", ja/en), not as "choose a file", on every
/// upload: the API's official import and template preview/apply, and the dashboard's import and template forms (in
/// the page's language, Japanese by default) (breaker's finding: an empty file was told to choose one). Nothing is stored.
/// </summary>
public sealed partial class EmptyFileTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chuo;

    [Theory]
    [InlineData("/api/v1/imports", "official.xlsx")]
    [InlineData("/api/v1/municipalities/" + M + "/template/preview", "template.xlsx")]
    [InlineData("/api/v1/municipalities/" + M + "/template/apply", "template.xlsx")]
    public async Task An_empty_file_is_refused_as_empty_by_the_api(string path, string name)
    {
        using var client = path.Contains("imports", StringComparison.Ordinal) ? host.Client(host.Token(Role.Admin)) : host.Municipality(M);
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent([]);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        content.Add(part, "file", name);

        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "file");

        var error = problem.GetProperty("errors")[0];
        Assert.Equal("empty_file", error.GetProperty("code").GetString());
        Assert.Contains("ファイルが空です", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("The file is empty", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/imports", "/imports/upload", Role.Admin)]
    [InlineData("/municipalities/" + M, "/municipalities/" + M + "/template", Role.Municipality)]
    public async Task An_empty_file_is_refused_as_empty_by_the_dashboard_forms(string page, string action, Role role)
    {
        using var client = await host.SignedInPagesAsync(host.Token(role, role == Role.Municipality ? M : null));
        var html = await client.GetStringAsync(new Uri(page, UriKind.Relative));
        var start = html.IndexOf($"action=\"{action}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form for {action}");
        var form = html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)];
        var token = WebUtility.HtmlDecode(Token().Match(form).Groups[1].Value);
        Assert.False(string.IsNullOrEmpty(token), "no antiforgery token");

        using var content = new MultipartFormDataContent();
        content.Add(new StringContent(token), "__RequestVerificationToken");
        content.Add(new ByteArrayContent([]), "file", "empty.xlsx");
        using var response = await client.PostAsync(new Uri(action, UriKind.Relative), content);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ファイルが空です", body, StringComparison.Ordinal);
        Assert.DoesNotContain("ファイル（file）を選んでください", body, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]*)\"")]
    private static partial Regex Token();
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The words of a 412, found by this round's breaker (round 49): an If-Match naming a version never reached ("99") or
/// a tag no version ever has ("３", a full-width digit: obs-text, so a valid tag and 412 is right) was told "it may have
/// changed since you read it", not that it names no version; and a GET's 412 (a download with an If-Match not of its tag
/// form) ended in "Nothing was changed", which no GET refusal says.
/// </summary>
public sealed class ConditionWordingTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Bunkyo = "131059";
    private const string Security = """{"status":"implemented","evidence":"wording check"}""";

    /// <summary>Municipality writes (the grain's version check), template previews (<c>Preconditions.OnVersionAsync</c>) and scenario writes.</summary>
    [Theory]
    [InlineData("\"99999\"")]
    [InlineData("\"３\"")]
    public async Task An_if_match_naming_no_version_is_told_so_on_a_municipality_write_and_nothing_changes(string ifMatch)
    {
        await host.WaitUntilReadyAsync();
        var (_, before) = await host.GetMunicipality(Bunkyo);
        using var client = Utf8HeaderClient(host.Token(Role.Municipality, Bunkyo, "wording@city.bunkyo"));
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{Bunkyo}/security/SEC-3-01")
        {
            Content = new StringContent(Security, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        using var response = await client.SendAsync(request);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.PreconditionFailed);
        var error = problem.GetProperty("errors")[0];
        Assert.Contains("どの版も指していません", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("names no version", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("changed after the version you read", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        var (_, after) = await host.GetMunicipality(Bunkyo);
        Assert.Equal(before, after);
    }

    [Theory]
    [InlineData("\"99999\"")]
    [InlineData("\"３\"")]
    public async Task An_if_match_naming_no_version_is_told_so_on_a_template_preview(string ifMatch)
    {
        await host.WaitUntilReadyAsync();
        using var client = Utf8HeaderClient(host.Token(Role.Municipality, Bunkyo, "wording.preview@city.bunkyo"));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/municipalities/{Bunkyo}/template/preview");
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(await TemplateRequests.DownloadAsync(client, Bunkyo));
        file.Headers.ContentType = new MediaTypeHeaderValue(TemplateRequests.XlsxMediaType);
        form.Add(file, "file", "template.xlsx");
        request.Content = form;
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        using var response = await client.SendAsync(request);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.PreconditionFailed, "If-Match");
        var error = problem.GetProperty("errors")[0];
        Assert.Contains("どの版も指していません", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("names no version", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A download's 412 to a script (problem details) and to a browser (the page): names no version, and never "nothing was changed".</summary>
    [Theory]
    [InlineData("/api/v1/prefectures/13/municipalities.csv", "application/json")]
    [InlineData("/api/v1/prefectures/13/municipalities.csv", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]
    [InlineData("/api/v1/export/municipalities.xlsx", "application/json")]
    public async Task A_download_s_412_for_a_tag_naming_no_version_does_not_say_nothing_was_changed(string path, string accept)
    {
        await host.WaitUntilReadyAsync();
        using var client = accept.StartsWith("text/html", StringComparison.Ordinal)
            ? await host.SignedInPagesAsync(host.Token(Role.National, subject: "wording.download@digital.go.jp"))
            : host.National();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        request.Headers.TryAddWithoutValidation("If-Match", "\"not-this-file\"");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.PreconditionFailed, $"{(int)response.StatusCode}: {text}");
        Assert.Contains("どの版も指していません", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Nothing was changed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("何も変更していません", text, StringComparison.Ordinal);
    }

    /// <summary>A client that sends header values as UTF-8 (HttpClient refuses non-ASCII ones otherwise), as a program can.</summary>
    private HttpClient Utf8HeaderClient(string token)
    {
        var client = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 }) { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Readiness.Catalog;
using Readiness.Rules;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A breaker's findings on the dashboard's forms, each fixed as a kind:
/// a refused form tells every field's fault at once (a bad date no longer hides an over-long vendor or evidence), on
/// every form (a municipality's system and checklist item, a prefecture's own system, the scenario editor);
/// the oversized-form 413 page links back to the form in the language it was sent in and says the limit; an upload over
/// its own limit but under Kestrel's cap is answered on the upload's own page (the template's heading names no empty
/// file); a chunked form over the form limit is refused with 413; the overview's detail export is labelled for a
/// prefecture's staff with their prefecture, whose rows are all they get.
/// </summary>
public sealed partial class FormFaultsAndLimitsTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "272035"; // 大阪府豊中市: no other test reports for it

    [Fact]
    public async Task A_system_form_with_a_bad_date_also_tells_the_over_long_vendor()
    {
        using var form = await FormSession.SignInAsync(host, M, "faults.system@city.toyonaka.lg.jp");
        var businessId = await AnySystemAsync(form, M, $"/municipalities/{M}/systems/");
        var (status, html) = await form.PostAsync(M, $"/municipalities/{M}/systems/{businessId}", new Dictionary<string, string>
        {
            ["plannedGoLive"] = "2026-13-45",
            ["vendor"] = new string('ベ', ChangeRules.MaxVendorLength + 1),
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains($"id=\"sys-{businessId}-plannedGoLive-error\"", html, StringComparison.Ordinal);
        Assert.Contains($"id=\"sys-{businessId}-vendor-error\"", html, StringComparison.Ordinal);
        Assert.Contains($"{ChangeRules.MaxVendorLength}文字以内", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checklist_form_with_a_bad_date_also_tells_the_over_long_evidence()
    {
        const string item = "SEC-3-01";
        using var form = await FormSession.SignInAsync(host, M, "faults.security@city.toyonaka.lg.jp");
        var (status, html) = await form.PostAsync(M, $"/municipalities/{M}/security/{item}", new Dictionary<string, string>
        {
            ["status"] = "implemented",
            ["lastReviewed"] = "yesterday",
            ["evidence"] = new string('証', ChangeRules.MaxEvidenceLength + 1),
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains($"id=\"sec-{item}-lastReviewed-error\"", html, StringComparison.Ordinal);
        Assert.Contains($"id=\"sec-{item}-evidence-error\"", html, StringComparison.Ordinal);
        Assert.Contains($"{ChangeRules.MaxEvidenceLength}文字以内", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prefecture_system_form_with_a_bad_choice_also_tells_the_over_long_vendor()
    {
        const string pref = "29"; // 奈良県
        var businessId = ReadinessCatalog.PrefectureRunBusinesses[0];
        using var form = await FormSession.SignInPrefectureAsync(host, pref, "faults.pref@pref.nara.lg.jp");
        var (status, html) = await form.PostAsync(pref, $"/prefectures/{pref}/systems/{businessId}", new Dictionary<string, string>
        {
            ["hosting"] = "on_the_moon",
            ["vendor"] = new string('ベ', ChangeRules.MaxVendorLength + 1),
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains($"id=\"pref-{businessId}-hosting-error\"", html, StringComparison.Ordinal);
        Assert.Contains($"id=\"pref-{businessId}-vendor-error\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scenario_editor_with_a_bad_number_also_tells_the_over_long_name()
    {
        using var client = await host.SignedInPagesAsync(host.Token(Role.National, null, "faults.scenario@digital.go.jp"));
        var token = await TokenAsync(client, "/planning/scenarios", "/planning/scenarios");
        using var response = await client.PostAsync("/planning/scenarios", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["name"] = new string('名', Readiness.Planning.ScenarioRules.MaxNameLength + 1),
            ["shiftMonths"] = "three",
        }));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("data-field=\"shiftMonths\"", html, StringComparison.Ordinal);
        Assert.Contains("data-field=\"name\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "ja")]
    [InlineData("en", "en")]
    public async Task The_oversized_form_page_links_back_to_the_form_in_its_language_and_says_the_limit(string? language, string linked)
    {
        using var form = await FormSession.SignInAsync(host, M, "limits.link@city.toyonaka.lg.jp");
        var businessId = await AnySystemAsync(form, M, $"/municipalities/{M}/systems/");
        var action = $"/municipalities/{M}/systems/{businessId}" + (language is null ? null : $"?language={language}");
        var opened = await form.OpenFormAsync(M, $"/municipalities/{M}/systems/{businessId}");
        var (status, html) = await form.SendAsync(action, opened, new Dictionary<string, string> { ["vendor"] = new string('x', 300 * 1024) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        var back = $"/lang/{linked}?returnUrl={Uri.EscapeDataString($"/municipalities/{M}#edit-system-{businessId}")}";
        Assert.True(html.Contains($"href=\"{WebUtility.HtmlEncode(back)}\"", StringComparison.Ordinal), Regex.Match(html, "<main.*</main>", RegexOptions.Singleline).Value);
        Assert.Contains("256 KiB", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_form_over_the_form_limit_is_refused_with_413_and_changes_nothing()
    {
        using var form = await FormSession.SignInAsync(host, M, "limits.chunked@city.toyonaka.lg.jp");
        var businessId = await AnySystemAsync(form, M, $"/municipalities/{M}/systems/");
        var before = await VersionAsync();
        var fields = new Dictionary<string, string>(await form.OpenFormAsync(M, $"/municipalities/{M}/systems/{businessId}"))
        {
            ["note"] = new string('x', 300 * 1024), // a field the form ignores: under Kestrel's cap, over the form's 256 KiB
        };
        var body = await new FormUrlEncodedContent(fields).ReadAsByteArrayAsync();
        var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded");
        using var response = await form.PostContentAsync($"/municipalities/{M}/systems/{businessId}", content, chunked: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await VersionAsync());
    }

    /// <summary>2.5 MB: over the template's 2 MB, under Kestrel's cap (twice the file plus framing): the upload's own page.</summary>
    [Fact]
    public async Task A_template_upload_over_its_limit_under_kestrel_s_cap_gets_the_template_page_with_no_empty_file_name()
    {
        using var form = await FormSession.SignInAsync(host, M, "limits.upload@city.toyonaka.lg.jp");
        using var response = await form.UploadAsync(M, $"/municipalities/{M}/template", new byte[2_500_000], "big.xlsx");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Excel ファイルの確認", html, StringComparison.Ordinal);
        Assert.Contains("上限 2 MB", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(EmptyNamePart(), html);
    }

    /// <summary>
    /// Over 8 MB, four times the template's 2 MB, is told it is no template, whether sent with a length or chunked,
    /// on the dashboard's form and on the API (a breaker's finding, round 46: chunked, it was told to enter only values
    /// in its template, as a template a little over is). The API with a length is not asked here: its answer comes
    /// before the body is read, and the client's 100-continue wait (1 s) is shorter than a first write takes.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task A_template_upload_over_four_times_its_limit_is_told_it_is_no_template_chunked_or_not(bool chunked, bool api)
    {
        // Chunked: a little past Kestrel's cap for it (past 8 MB), so that the client has sent nearly all when the
        // refusal comes (a client still sending megabytes meets a closed connection before it reads the answer).
        var file = new byte[chunked ? (8 * 1024 * 1024) + (200 * 1024) : 9 * 1024 * 1024];
        HttpResponseMessage response;
        if (api)
        {
            using var client = host.Municipality(M, "limits.api.big@city.toyonaka.lg.jp");
            using var multipart = new MultipartFormDataContent { { new ByteArrayContent(file), "file", "big.xlsx" } };
            response = await client.SendAsync(Chunked(HttpMethod.Post, $"/api/v1/municipalities/{M}/template/apply", multipart, chunked));
        }
        else
        {
            using var form = await FormSession.SignInAsync(host, M, $"limits.big.{chunked}@city.toyonaka.lg.jp");
            var html = await form.PageAsync(M);
            var token = FormSession.Hidden(html, $"/municipalities/{M}/template", "__RequestVerificationToken");
            using var multipart = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" }, { new ByteArrayContent(file), "file", "big.xlsx" } };
            response = await form.SendAsync(Chunked(HttpMethod.Post, $"/municipalities/{M}/template", multipart, chunked));
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{response.StatusCode}: {text[..Math.Min(400, text.Length)]}");
            Assert.Contains("これは報告テンプレートではないようです", text, StringComparison.Ordinal);
            Assert.Contains(chunked ? "MB 以上" : "約 9 MB", text, StringComparison.Ordinal);
        }
    }

    /// <summary>The content as a request body, with its length or chunked (no length: read whole into a stream first).</summary>
    private static HttpRequestMessage Chunked(HttpMethod method, string path, HttpContent content, bool chunked)
    {
        if (!chunked)
        {
            // With a length over the cap the answer comes before the body is read: wait for it (100-continue), send nothing.
            var sized = new HttpRequestMessage(method, path) { Content = content };
            sized.Headers.ExpectContinue = true;
            return sized;
        }

        var bytes = content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        var stream = new StreamContent(new MemoryStream(bytes));
        stream.Headers.ContentType = content.Headers.ContentType;
        var request = new HttpRequestMessage(method, path) { Content = stream };
        request.Headers.TransferEncodingChunked = true;
        return request;
    }

    [Fact]
    public async Task The_overview_labels_the_detail_export_with_the_prefecture_for_its_staff()
    {
        using var prefecture = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "27", "label.pref@pref.osaka.lg.jp"));
        var html = await prefecture.GetStringAsync("/");
        Assert.Contains("大阪府の全団体×業務の明細：", html, StringComparison.Ordinal);
        Assert.Equal(Regex.Count(html, "大阪府の全団体×業務の明細："), Regex.Count(html, "全団体×業務の明細："));

        using var national = await host.SignedInPagesAsync(host.Token(Role.National, null, "label.national@digital.go.jp"));
        var nation = await national.GetStringAsync("/");
        Assert.Contains("全団体×業務の明細：", nation, StringComparison.Ordinal);
        Assert.DoesNotContain("の全団体×業務の明細", nation, StringComparison.Ordinal);
    }

    private async Task<string?> VersionAsync()
    {
        using var client = host.Municipality(M);
        using var response = await client.GetAsync($"/api/v1/municipalities/{M}");
        return response.Headers.ETag?.Tag;
    }

    private static async Task<string> AnySystemAsync(FormSession form, string code, string actionStart)
    {
        var html = await form.PageAsync(code);
        var match = Regex.Match(html, $"action=\"{Regex.Escape(actionStart)}([a-z_]+)\"");
        Assert.True(match.Success, "no system form");
        return match.Groups[1].Value;
    }

    private static async Task<string> TokenAsync(HttpClient client, string page, string action)
    {
        var html = await client.GetStringAsync(page);
        var start = html.IndexOf($"action=\"{action}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form for {action}");
        var form = html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)];
        return WebUtility.HtmlDecode(Token().Match(form).Groups[1].Value);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]*)\"")]
    private static partial Regex Token();

    [GeneratedRegex("・\\s*</span>")]
    private static partial Regex EmptyNamePart();
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Readiness.Catalog;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A breaker's findings on webhooks (round 49), as kinds: a creating POST registered the same endpoint twice (every
/// event sent twice); a 201's Location answered GET 405; the faults used the API's words on the page ("url", "null")
/// and said the wrong thing (an over-long URL "not https", tenant 99 "2 digits"); stopping an unknown webhook on the
/// page showed the retry message, stopping a stopped one logged it again, and marking an unknown notification read on
/// the page went back silently.
/// </summary>
public sealed class WebhookRegistrationTests(AccountHost host) : IClassFixture<AccountHost>
{
    static WebhookRegistrationTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Failed before: the second POST was 201 and the list held the endpoint twice; GET of the Location 405.</summary>
    [Fact]
    public async Task The_same_webhook_is_refused_409_naming_the_existing_one_and_its_location_answers_get()
    {
        using var admin = host.Client(host.Token(Role.Admin, subject: "twice.admin@digital.go.jp"));
        const string url = "https://hooks.example/twice";
        using var first = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url, tenant = "13" });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var location = first.Headers.Location!.ToString();

        using var second = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url, tenant = "13" });
        var problem = await ApiHost.AssertProblem(second, HttpStatusCode.Conflict, "url");
        Assert.Equal("already_registered", problem.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Equal(location, problem.GetProperty("existing").GetString());
        Assert.Contains(location.Split('/')[^1], problem.GetProperty("errors")[0].GetProperty("messageJa").GetString(), StringComparison.Ordinal);

        // Legitimately another endpoint: the same URL for another tenant, and the same one again once the first is stopped.
        using (var otherTenant = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url, tenant = "27" }))
        {
            Assert.Equal(HttpStatusCode.Created, otherTenant.StatusCode);
        }

        var listed = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/admin/webhooks")).RootElement.EnumerateArray()
            .Where(w => w.GetProperty("url").GetString() == url && w.GetProperty("tenant").GetString() == "13").ToList();
        Assert.Single(listed);

        using (var located = await admin.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.OK, located.StatusCode);
            Assert.NotNull(located.Headers.ETag);
            var view = await ApiHost.Json(located);
            Assert.Equal((url, "13", true), (view.GetProperty("url").GetString(), view.GetProperty("tenant").GetString(), view.GetProperty("active").GetBoolean()));
            Assert.Equal(JsonValueKind.Null, view.GetProperty("secret").ValueKind);
        }

        using (var stop = await admin.DeleteAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, stop.StatusCode);
        }

        using (var stopped = await admin.GetAsync(location))
        {
            Assert.False((await ApiHost.Json(stopped)).GetProperty("active").GetBoolean());
        }

        using (var again = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url, tenant = "13" }))
        {
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        }

        using var unknown = await admin.GetAsync("/api/v1/admin/webhooks/wh_none");
        await ApiHost.AssertProblem(unknown, HttpStatusCode.NotFound, "id");
    }

    /// <summary>
    /// Every creating POST's 201 Location answers GET 200: an API client, a webhook, a scenario, an import, a backup.
    /// Failed before: the webhook's Location answered 405.
    /// </summary>
    [Fact]
    public async Task Every_created_items_location_answers_get()
    {
        using var admin = host.Client(host.Token(Role.Admin, subject: "locations.admin@digital.go.jp"));
        using var national = host.Client(host.Token(Role.National, subject: "locations.national@digital.go.jp"));
        var creates = new (HttpClient Client, Func<Task<HttpResponseMessage>> Create)[]
        {
            (admin, () => admin.PostAsJsonAsync("/api/v1/admin/clients", new { name = "locations", tenant = ApiHost.Chiyoda, scope = "read", expiresAt = DateTimeOffset.UtcNow.AddDays(30) })),
            (admin, () => admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = "https://hooks.example/locations", tenant = "13" })),
            (admin, () => admin.PostAsync("/api/v1/admin/backups", null)),
            (national, () => national.PostAsJsonAsync("/api/v1/scenarios", new { name = "locations", description = "Location" })),
            (national, () => ApiHost.PostImportAsync(national, Tally(), "令和8年5月_進捗状況.csv")),
        };
        foreach (var (client, create) in creates)
        {
            using var created = await create();
            var body = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"{created.RequestMessage!.RequestUri}: {created.StatusCode} {body}");
            var location = created.Headers.Location!;
            using var located = await client.GetAsync(location);
            Assert.True(located.StatusCode == HttpStatusCode.OK, $"GET {location}: {located.StatusCode} {await located.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>
    /// The form refuses a duplicate beside its URL field (422, what was typed kept), so a reload of the answer — the same
    /// form again — registers nothing. Failed before: the reload was 200 with a second secret, two endpoints listed.
    /// </summary>
    [Fact]
    public async Task The_page_refuses_a_duplicate_beside_the_field_and_a_reload_registers_nothing()
    {
        using var admin = host.Client(host.Token(Role.Admin));
        using var pages = await host.SignedInPagesAsync(host.Token(Role.Admin, null, "reload.hooks@digital.go.jp"));
        var fields = await DashboardFormFaultsTests.HiddenFieldsAsync(pages, "/admin/notifications", "data-form=\"webhook-add\"");
        fields["WebhookUrl"] = "https://hooks.example/reloaded";
        fields["WebhookTenant"] = "13";
        using (var registered = await pages.PostAsync("/admin/notifications", new FormUrlEncodedContent(fields)))
        {
            Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
            Assert.Contains("data-secret", await registered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var reload = await pages.PostAsync("/admin/notifications", new FormUrlEncodedContent(fields));
        var html = await reload.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reload.StatusCode);
        Assert.Equal(["already_registered"], new FormAnswer(reload.StatusCode, null, html).Faults["url"]);
        Assert.Contains("すでに登録されています", html, StringComparison.Ordinal);
        Assert.Contains("already registered", html, StringComparison.Ordinal);
        Assert.Matches("id=\"webhook-url\"[^>]*value=\"https://hooks.example/reloaded\"", html);
        Assert.DoesNotContain("data-secret", html, StringComparison.Ordinal);

        var listed = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/admin/webhooks")).RootElement.EnumerateArray()
            .Count(w => w.GetProperty("url").GetString() == "https://hooks.example/reloaded");
        Assert.Equal(1, listed);
    }

    /// <summary>
    /// Each fault says what is wrong in the page's words (no "url", no "null"), the same on the page and in the API's
    /// errors. Failed before: an over-long URL was told "not https" (invalid_url), tenant 99 "2 digits" (invalid_tenant).
    /// </summary>
    [Theory]
    [InlineData("long", "13", "url", "too_long", "2000")]
    [InlineData("http://hooks.example/plain", "13", "url", "not_https", "https")]
    [InlineData("https://hooks.example/ninety-nine", "99", "tenant", "unknown_prefecture", "01〜47")]
    [InlineData("https://hooks.example/nine-nines", "999999", "tenant", "unknown_municipality", "市区町村コード")]
    [InlineData("https://hooks.example/letters", "tokyo", "tenant", "invalid_tenant", "空欄")]
    public async Task A_webhook_fault_says_what_is_wrong_in_the_pages_words(string url, string tenant, string field, string code, string said)
    {
        if (url == "long")
        {
            url = "https://hooks.example/" + new string('a', 2100);
        }

        using var admin = host.Client(host.Token(Role.Admin));
        using var api = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url, tenant });
        var error = (await ApiHost.AssertProblem(api, HttpStatusCode.BadRequest, field)).GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetString());
        var ja = error.GetProperty("messageJa").GetString()!;
        var en = error.GetProperty("messageEn").GetString()!;
        Assert.Contains(said, ja, StringComparison.Ordinal);
        foreach (var apiWord in new[] { "url ", "url's", "null" })
        {
            Assert.DoesNotContain(apiWord, ja + " " + en, StringComparison.Ordinal);
        }

        using var pages = await host.SignedInPagesAsync(host.Token(Role.Admin, null, "words.hooks@digital.go.jp"));
        var fields = await DashboardFormFaultsTests.HiddenFieldsAsync(pages, "/admin/notifications", "data-form=\"webhook-add\"");
        fields["WebhookUrl"] = url;
        fields["WebhookTenant"] = tenant;
        using var response = await pages.PostAsync("/admin/notifications", new FormUrlEncodedContent(fields));
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal([code], new FormAnswer(response.StatusCode, null, html).Faults[field]);
        Assert.Contains(ja, html, StringComparison.Ordinal);
        Assert.Contains(en, html, StringComparison.Ordinal);
    }

    /// <summary>
    /// Stopping is idempotent: a second stop (API or page) changes and logs nothing and says so; an unknown one is 404 /
    /// its own notice. Failed before: the page's second stop logged stop_webhook again, and an unknown one showed
    /// "That delivery cannot be retried."
    /// </summary>
    [Fact]
    public async Task Stopping_a_stopped_webhook_logs_nothing_and_an_unknown_one_is_said_so()
    {
        using var admin = host.Client(host.Token(Role.Admin, subject: "stop.twice@digital.go.jp"));
        using var pages = await host.SignedInPagesAsync(host.Token(Role.Admin, null, "stop.twice@digital.go.jp"));
        async Task<string> RegisterAsync(string url)
        {
            using var registered = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url, tenant = "13" });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            return (await ApiHost.Json(registered)).GetProperty("id").GetString()!;
        }

        var byApi = await RegisterAsync("https://hooks.example/stop-api");
        var byPage = await RegisterAsync("https://hooks.example/stop-page");
        for (var i = 0; i < 2; i++)
        {
            using var stopped = await admin.DeleteAsync($"/api/v1/admin/webhooks/{byApi}");
            Assert.Equal(HttpStatusCode.NoContent, stopped.StatusCode);
        }

        var fields = await DashboardFormFaultsTests.HiddenFieldsAsync(pages, "/admin/notifications", $"action=\"/admin/notifications/webhooks/{byPage}/stop\"");
        string[] expected = ["/admin/notifications?stopped=1", "/admin/notifications?stopped=already"];
        foreach (var location in expected)
        {
            using var stop = await pages.PostAsync($"/admin/notifications/webhooks/{byPage}/stop", new FormUrlEncodedContent(fields));
            Assert.Equal(HttpStatusCode.SeeOther, stop.StatusCode);
            Assert.Equal(location, stop.Headers.Location?.ToString());
        }

        Assert.Contains("すでに停止しています", await pages.GetStringAsync("/admin/notifications?stopped=already"), StringComparison.Ordinal);

        using (var unknown = await pages.PostAsync("/admin/notifications/webhooks/wh_none/stop", new FormUrlEncodedContent(fields)))
        {
            Assert.Equal("/admin/notifications?error=webhook_not_found", unknown.Headers.Location?.ToString());
        }

        var notice = await pages.GetStringAsync("/admin/notifications?error=webhook_not_found");
        Assert.Contains("その Webhook はありません", notice, StringComparison.Ordinal);
        Assert.DoesNotContain("再送できません", notice, StringComparison.Ordinal);

        await host.WithDbAsync(async db =>
        {
            var stops = await db.AdminLog.Where(e => e.ActorSubject == "stop.twice@digital.go.jp" && e.Action == "stop_webhook").Select(e => e.TargetSubject).ToListAsync();
            Assert.Equal(2, stops.Count);
            Assert.Equal(1, stops.Count(s => s == byApi));
            Assert.Equal(1, stops.Count(s => s == byPage));
        });
    }

    /// <summary>Failed before: marking an unknown notification read on the page went back to the list without a word (303 /notifications).</summary>
    [Fact]
    public async Task Marking_an_unknown_notification_read_is_said_on_the_page_and_is_a_404_in_the_api()
    {
        var token = host.Token(Role.National, null, "read.unknown@digital.go.jp");
        using var me = host.Client(token);
        using (var api = await me.PostAsync("/api/v1/notifications/ntf_none/read", null))
        {
            await ApiHost.AssertProblem(api, HttpStatusCode.NotFound, "id");
        }

        using var pages = await host.SignedInPagesAsync(token);
        var fields = await DashboardFormFaultsTests.HiddenFieldsAsync(pages, "/notifications", "action=\"/notifications/preferences\"");
        var antiforgery = fields.Where(f => f.Key.StartsWith("__RequestVerificationToken", StringComparison.Ordinal)).ToDictionary();
        using var read = await pages.PostAsync("/notifications/ntf_none/read", new FormUrlEncodedContent(antiforgery));
        Assert.Equal(HttpStatusCode.SeeOther, read.StatusCode);
        Assert.Equal("/notifications?error=not_found", read.Headers.Location?.ToString());
        var page = await pages.GetStringAsync("/notifications?error=not_found");
        Assert.Contains("その通知はありません", page, StringComparison.Ordinal);
        Assert.Contains("There is no such notification for you", page, StringComparison.Ordinal);
    }

    private static byte[] Tally()
    {
        var catalog = ReadinessCatalog.Instance;
        var m = catalog.MunicipalitiesByCode["131059"];
        var rates = string.Join(",", Enumerable.Repeat("0.5", 21));
        var text = $"令和8年5月末時点 市区町村別・業務別 標準化の進捗状況\r\n都道府県,市区町村名,全体,{string.Join(",", catalog.BusinessSystems.Select(b => b.SoumuLabel))}\r\n"
            + $"{catalog.PrefecturesByCode[m.PrefectureCode].Name},{m.Name},{rates}\r\n";
        return Encoding.GetEncoding(932).GetBytes(text);
    }
}

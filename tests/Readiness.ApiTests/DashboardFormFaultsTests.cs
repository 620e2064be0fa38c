using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A breaker's finding, as a kind: the dashboard's forms beyond the account forms told one fault at a time, or a generic
/// message, or listed them only in a summary. Each now answers 422 with its page again, every field's fault beside its
/// field (aria-describedby), the form as it was sent, nothing saved (FormState, FieldFaults), and the form's API twin
/// names every faulty field in its problem details errors: the webhook registration, notification preferences and the
/// scenario editor.
/// </summary>
public sealed partial class DashboardFormFaultsTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>Failed before: 200, only the url's fault (the tenant's unsaid); the API's errors named url alone.</summary>
    [Fact]
    public async Task The_webhook_form_tells_every_fault_at_once_with_422_and_the_api_names_them_all()
    {
        using var admin = host.Client(host.Token(Role.Admin));
        var before = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/admin/webhooks")).RootElement.GetArrayLength();

        using var pages = await host.SignedInPagesAsync(host.Token(Role.Admin, null, "faults.webhook@digital.go.jp"));
        var fields = await HiddenFieldsAsync(pages, "/admin/notifications", "data-form=\"webhook-add\"");
        fields["WebhookUrl"] = "ftp://nowhere.example/hook";
        fields["WebhookTenant"] = "99";
        using var response = await pages.PostAsync("/admin/notifications", new FormUrlEncodedContent(fields));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var faults = new FormAnswer(response.StatusCode, null, html).Faults;
        Assert.Equal(["url", "tenant"], faults.Keys);
        Assert.Equal(["not_https"], faults["url"]);
        Assert.Equal(["unknown_prefecture"], faults["tenant"]);
        Assert.Matches("id=\"webhook-url\"[^>]*value=\"ftp://nowhere.example/hook\"", html);
        Assert.Matches("id=\"webhook-tenant\"[^>]*value=\"99\"", html);
        Assert.Matches("id=\"webhook-url\"[^>]*aria-invalid=\"true\"[^>]*aria-describedby=\"webhook-url-hint webhook-url-error\"", html);
        Assert.Matches("id=\"webhook-tenant\"[^>]*aria-invalid=\"true\"[^>]*aria-describedby=\"webhook-tenant-error\"", html);
        Assert.Contains("id=\"webhook-url-error\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"webhook-tenant-error\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-secret", html, StringComparison.Ordinal);

        using var api = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = "ftp://nowhere.example/hook", tenant = "99" });
        Assert.Equal(HttpStatusCode.BadRequest, api.StatusCode);
        var problem = await ApiHost.Json(api);
        Assert.Equal(["url", "tenant"], problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
        Assert.All(problem.GetProperty("errors").EnumerateArray(), e => Assert.False(string.IsNullOrEmpty(e.GetProperty("messageJa").GetString())));

        Assert.Equal(before, JsonDocument.Parse(await admin.GetStringAsync("/api/v1/admin/webhooks")).RootElement.GetArrayLength());
    }

    /// <summary>
    /// Failed before: 303 ?error=frequency naming one kind, and the page then showed the stored choices (a box the person
    /// had unticked came back ticked); the API's errors named the first bad item only.
    /// </summary>
    [Fact]
    public async Task Refused_notification_preferences_name_every_fault_and_keep_the_form_as_sent()
    {
        var token = host.Token(Role.National, null, "faults.preferences@digital.go.jp");
        using var me = host.Client(token);
        using var pages = await host.SignedInPagesAsync(token);
        string[] all = [.. Regex.Matches(await pages.GetStringAsync("/notifications"), "name=\"([a-z_]+)\\.frequency\"").Select(m => m.Groups[1].Value)];
        Assert.Contains("overdue", all);
        using (var put = await me.PutAsJsonAsync("/api/v1/notifications/preferences", new { items = all.Select(k => new { kind = k, mail = true, inApp = true, frequency = "immediately" }) }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var fields = await HiddenFieldsAsync(pages, "/notifications", "action=\"/notifications/preferences\"");
        foreach (var kind in all)
        {
            fields[$"{kind}.inApp"] = "on";
            fields[$"{kind}.frequency"] = "daily";
        }

        // regression: its mail box unticked (sent as nothing) and a frequency that is none; overdue: a box sending "yes".
        fields["regression.frequency"] = "hourly";
        fields["overdue.mail"] = "yes";
        fields["overdue.frequency"] = "weekly";
        using var response = await pages.PostAsync("/notifications/preferences", new FormUrlEncodedContent(fields));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var faults = new FormAnswer(response.StatusCode, null, html).Faults;
        Assert.Equal(["regression.frequency", "overdue.mail"], faults.Keys);
        Assert.Contains("data-refused-form=\"preferences\"", html, StringComparison.Ordinal);

        // As sent: unticked stays unticked, ticked stays ticked, the chosen frequency stays chosen.
        Assert.DoesNotContain(" checked", Tag(html, "regression-mail"), StringComparison.Ordinal);
        Assert.Contains(" checked", Tag(html, "regression-inapp"), StringComparison.Ordinal);
        Assert.DoesNotContain(" checked", Tag(html, "past_target-mail"), StringComparison.Ordinal);
        Assert.Contains("aria-describedby=\"regression-frequency-error\"", html, StringComparison.Ordinal);
        Assert.Contains("aria-describedby=\"overdue-mail-error\"", Tag(html, "overdue-mail"), StringComparison.Ordinal);
        var overdueFrequency = html[html.IndexOf("id=\"overdue-frequency\"", StringComparison.Ordinal)..];
        Assert.Matches("value=\"weekly\" selected", overdueFrequency[..overdueFrequency.IndexOf("</select>", StringComparison.Ordinal)]);

        // Nothing saved.
        var stored = JsonDocument.Parse(await me.GetStringAsync("/api/v1/notifications/preferences")).RootElement.GetProperty("items").EnumerateArray();
        Assert.All(stored, p => Assert.True(p.GetProperty("mail").GetBoolean() && p.GetProperty("frequency").GetString() == "immediately", p.ToString()));

        // The API names every bad item at once.
        using var api = await me.PutAsJsonAsync("/api/v1/notifications/preferences", new
        {
            items = new object[]
            {
                new { kind = "regression", mail = false, inApp = true, frequency = "daily" },
                new { kind = "regression", mail = true, inApp = true, frequency = "daily" },
                new { kind = "overdue", mail = true, inApp = true, frequency = "daily" },
                new { kind = "overdue", mail = true, inApp = false, frequency = "daily" },
            },
        });
        Assert.Equal(HttpStatusCode.BadRequest, api.StatusCode);
        var problem = await ApiHost.Json(api);
        Assert.Equal(["items[1].kind", "items[3].kind"], problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()));
    }

    /// <summary>Failed before: the faults were listed in the summary at the top only, no field linked to its own.</summary>
    [Fact]
    public async Task The_scenario_editor_puts_each_fault_beside_its_field()
    {
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National, null, "faults.scenario.fields@digital.go.jp"));
        var fields = await HiddenFieldsAsync(pages, "/planning/scenarios", "action=\"/planning/scenarios\"");
        fields["name"] = new string('名', Readiness.Planning.ScenarioRules.MaxNameLength + 1);
        fields["capacity"] = "no equals sign";
        fields["shiftMonths"] = "500";
        fields["unreportedRate"] = "x";
        using var response = await pages.PostAsync("/planning/scenarios", new FormUrlEncodedContent(fields));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var faults = new FormAnswer(response.StatusCode, null, html).Faults;
        Assert.Equal(["name", "capacity", "shiftMonths", "unreportedRate"], faults.Keys);
        Assert.Equal(["out_of_range"], faults["shiftMonths"]); // targetShifts[0].months in the API's words, on the field that holds it
        foreach (var field in new[] { "name", "capacity", "shiftMonths", "unreportedRate" })
        {
            Assert.Matches($"id=\"{field}\"[^>]*aria-invalid=\"true\"[^>]*aria-describedby=\"{field}-error\"", html);
            Assert.Contains($"id=\"{field}-error\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("data-field=\"unreportedRate\"", html, StringComparison.Ordinal); // the summary stays
        Assert.Contains(">no equals sign</textarea>", html, StringComparison.Ordinal);
    }

    private static string Tag(string html, string id) => Regex.Match(html, $"<input[^>]*id=\"{Regex.Escape(id)}\"[^>]*>").Value is { Length: > 0 } tag ? tag : throw new Xunit.Sdk.XunitException($"no input {id}");

    /// <summary>The hidden fields (antiforgery token, Blazor's form handler) of the form on <paramref name="page"/> whose tag holds <paramref name="marker"/>.</summary>
    internal static async Task<Dictionary<string, string>> HiddenFieldsAsync(HttpClient client, string page, string marker)
    {
        var html = await client.GetStringAsync(page);
        var start = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form {marker} on {page}");
        var form = html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)];
        return Hidden().Matches(form).Select(m => m.Value).ToDictionary(
            tag => WebUtility.HtmlDecode(Regex.Match(tag, "name=\"([^\"]*)\"").Groups[1].Value),
            tag => WebUtility.HtmlDecode(Regex.Match(tag, "value=\"([^\"]*)\"").Groups[1].Value),
            StringComparer.Ordinal);
    }

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*>")]
    private static partial Regex Hidden();
}

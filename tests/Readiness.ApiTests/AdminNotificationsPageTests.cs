using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The administrators' notifications page says, in Japanese first, what the outbox holds, and shows a receiver that is
/// down at its first failure (breaker's finding: the counts were raw status names, "dead: 0 delivered: 2 … pending: 2",
/// and a failing webhook showed only in the API's pending list until it went dead ~2 hours later). A real webhook
/// address with nothing listening on it (connection refused) and a real SMTP server.
/// </summary>
public sealed class AdminNotificationsPageTests
{
    [Fact]
    public async Task The_counts_are_in_words_and_a_webhook_that_cannot_be_reached_shows_as_failing_with_its_error()
    {
        using var smtp = new TestMailServer();
        smtp.Start();
        var host = new NotificationHost(Directory.CreateTempSubdirectory("readiness-admin-notifications-").FullName, smtp.Port);
        try
        {
            await host.InitializeAsync();
            using var admin = host.Client(host.Token(Role.Admin));
            var closed = Readiness.Testing.TestPorts.Free(); // nothing listens there
            using var registered = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = $"http://127.0.0.1:{closed}/hook", tenant = "13" });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            var webhookId = (await ApiHost.Json(registered)).GetProperty("id").GetString()!;

            await host.RegressAsync(ApiHost.Chiyoda, "koseki");
            var failing = await host.FailedDeliveryAsync(webhookId);
            Assert.NotEqual(JsonValueKind.Undefined, failing.ValueKind);

            var page = WebUtility.HtmlDecode(await admin.GetStringAsync("/admin/notifications"));

            // The counts in words, not status names.
            Assert.Contains("配信待ち", page, StringComparison.Ordinal);
            Assert.Contains("配信済み", page, StringComparison.Ordinal);
            Assert.DoesNotContain(">pending:", page.Replace("\n", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

            // The webhook's row says it is not receiving, with the error; the delivery is listed as being retried.
            var row = page[page.IndexOf($"data-webhook=\"{webhookId}\"", StringComparison.Ordinal)..];
            row = row[..row.IndexOf("</tr>", StringComparison.Ordinal)];
            Assert.Contains("data-webhook-state=\"failing\"", row, StringComparison.Ordinal);
            Assert.Contains("受信できていません", row, StringComparison.Ordinal);
            Assert.Contains(failing.GetProperty("lastError").GetString()!, row, StringComparison.Ordinal);
            Assert.Contains($"data-retry=\"{failing.GetProperty("id").GetString()}\"", page, StringComparison.Ordinal);
            Assert.Contains($"http://127.0.0.1:{closed}/hook", page[page.IndexOf("data-retrying", StringComparison.Ordinal)..], StringComparison.Ordinal);

            // The receiver's state in full (tester's finding): when it was last tried, when next, and the cause in
            // plain words, Japanese on the Japanese page and English on the English one; the raw error stays beside it.
            Assert.Contains("受信側が接続を拒否しました", row, StringComparison.Ordinal);
            Assert.Matches(@"data-webhook-last-attempt>\d{4}/\d{2}/\d{2} \d{2}:\d{2} JST<", row);
            Assert.Matches(@"data-webhook-next-attempt>\d{4}/\d{2}/\d{2} \d{2}:\d{2} JST<", row);
            var retryRow = page[page.IndexOf($"data-retry=\"{failing.GetProperty("id").GetString()}\"", StringComparison.Ordinal)..];
            retryRow = retryRow[..retryRow.IndexOf("</tr>", StringComparison.Ordinal)];
            Assert.Matches(@"data-last-attempt>\d{4}/\d{2}/\d{2} \d{2}:\d{2} JST<", retryRow);
            Assert.Contains("受信側が接続を拒否しました", retryRow, StringComparison.Ordinal);

            // Each count names its status in words and as the API's ?status= value.
            Assert.Matches("data-status=\"pending\">配信待ち[^<]*<code class=\"muted\">pending</code>", page);

            using var english = new HttpRequestMessage(HttpMethod.Get, "/admin/notifications");
            english.Headers.Add("Cookie", "readiness-lang=en");
            using var answered = await admin.SendAsync(english);
            var englishPage = WebUtility.HtmlDecode(await answered.Content.ReadAsStringAsync());
            var englishRow = englishPage[englishPage.IndexOf($"data-webhook=\"{webhookId}\"", StringComparison.Ordinal)..];
            englishRow = englishRow[..englishRow.IndexOf("</tr>", StringComparison.Ordinal)];
            Assert.Contains("The receiver refused the connection", englishRow, StringComparison.Ordinal);
            Assert.Contains("Last attempt", englishRow, StringComparison.Ordinal);
            Assert.Contains("Delivered", englishPage, StringComparison.Ordinal);
        }
        finally
        {
            await ((IAsyncLifetime)host).DisposeAsync();
        }
    }
}

using System.Net;
using System.Text.Json;
using Readiness.Web.Identity;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>The product with small limits: 2 immediate mails per person per hour, dead after 2 failed attempts.</summary>
public sealed class NotificationLimitsFixture : IAsyncLifetime
{
    public const string Pref13 = "limits-pref13@test.local";
    public const string Pref27 = "limits-pref27@test.local";

    public TestMailServer Smtp { get; } = new();

    public LimitsHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Smtp.Start();
        Host = new LimitsHost(Directory.CreateTempSubdirectory("readiness-notify-limits-").FullName, Smtp.Port);
        await Host.InitializeAsync();
        await Host.AddPersonAsync(Pref13, AccountRole.PrefectureStaff, "13");
        await Host.AddPersonAsync(Pref27, AccountRole.PrefectureStaff, "27");
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Host).DisposeAsync();
        Smtp.Dispose();
    }

    public sealed class LimitsHost(string dataPath, int smtpPort) : NotificationHost(dataPath, smtpPort)
    {
        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings["Readiness:Notifications:MaxMailsPerHour"] = "2";
            settings["Readiness:Notifications:MaxAttempts"] = "2";
            return settings;
        }
    }
}

/// <summary>
/// The issue's reliability list beyond the happy path: a delivery that keeps failing becomes a dead letter listed for
/// administrators (with its error) and is delivered, with its id, once an administrator retries it
/// (POST /api/v1/admin/notifications/{id}/retry); a burst beyond the per-person limit mails the limit and holds the
/// rest for the person's summary.
/// </summary>
public sealed class NotificationLimitsTests(NotificationLimitsFixture fixture, ITestOutputHelper output) : IClassFixture<NotificationLimitsFixture>
{
    private NotificationHost Host => fixture.Host;

    [Fact]
    public async Task A_dead_letter_is_listed_and_delivered_with_its_id_when_an_administrator_retries_it()
    {
        fixture.Smtp.Stop();
        JsonElement dead = default;
        try
        {
            await Host.RegressAsync(ApiHost.Osaka, "koseki");
            for (var i = 0; i < 300 && dead.ValueKind == JsonValueKind.Undefined; i++)
            {
                await Task.Delay(100);
                dead = (await Host.OutboxAsync("dead")).GetProperty("items").EnumerateArray()
                    .FirstOrDefault(r => r.GetProperty("recipient").GetString() == NotificationLimitsFixture.Pref27 && r.GetProperty("kind").GetString() == "regression");
            }

            Assert.NotEqual(JsonValueKind.Undefined, dead.ValueKind);
        }
        finally
        {
            fixture.Smtp.Start();
        }

        var id = dead.GetProperty("id").GetString()!;
        Assert.Equal(2, dead.GetProperty("attempts").GetInt32());
        Assert.Contains("onnect", dead.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        output.WriteLine($"Dead after 2 attempts: {id} ({dead.GetProperty("lastError").GetString()})");

        // Dead stays dead with SMTP back: nothing is sent until an administrator says so.
        await Task.Delay(1500);
        Assert.DoesNotContain(fixture.Smtp.Mailbox.All, m => m.Message.Headers["X-Readiness-Notification-Id"] == id);

        // Only administrators may retry; an unknown id is a 404 problem naming it.
        using (var staff = Host.Client(Host.Token(Role.Prefecture, "27", NotificationLimitsFixture.Pref27)))
        using (var refused = await staff.PostAsync($"/api/v1/admin/notifications/{id}/retry", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var admin = Host.Client(Host.Token(Role.Admin));
        using (var unknown = await admin.PostAsync("/api/v1/admin/notifications/ntf_00000000000000000000000000000000/retry", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Contains("\"id\"", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var retry = await admin.PostAsync($"/api/v1/admin/notifications/{id}/retry", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        }

        var (mail, _) = await fixture.Smtp.Mailbox.WaitAsync(NotificationLimitsFixture.Pref27, m => m.Headers["X-Readiness-Notification-Id"] == id);
        Assert.Contains("大阪市 戸籍：フェーズの後退", mail.Subject, StringComparison.Ordinal);
        JsonElement delivered = default;
        for (var i = 0; i < 100 && delivered.ValueKind == JsonValueKind.Undefined; i++)
        {
            delivered = (await Host.OutboxAsync("delivered")).GetProperty("items").EnumerateArray().FirstOrDefault(r => r.GetProperty("id").GetString() == id);
            await Task.Delay(100);
        }

        Assert.NotEqual(JsonValueKind.Undefined, delivered.ValueKind);
        Assert.DoesNotContain((await Host.OutboxAsync("dead")).GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task A_burst_beyond_the_per_person_limit_mails_the_limit_and_holds_the_rest()
    {
        fixture.Smtp.Start();
        foreach (var business in new[] { "koseki", "resident_registry", "electoral_roll" })
        {
            await Host.RegressAsync(ApiHost.Chiyoda, business);
        }

        // Three regressions (and the systems newly overdue) for 東京都's user: 2 mailed at once, the rest held.
        JsonElement held = default;
        for (var i = 0; i < 300; i++)
        {
            held = await Host.OutboxAsync("held");
            var heldMine = held.GetProperty("items").EnumerateArray().Count(r => r.GetProperty("recipient").GetString() == NotificationLimitsFixture.Pref13);
            var pending = (await Host.OutboxAsync("pending")).GetProperty("items").EnumerateArray().Count(r => r.GetProperty("recipient").GetString() == NotificationLimitsFixture.Pref13);
            if (heldMine >= 1 && pending == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        var mailed = fixture.Smtp.Mailbox.To(NotificationLimitsFixture.Pref13);
        var heldRows = held.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("recipient").GetString() == NotificationLimitsFixture.Pref13).ToList();
        output.WriteLine($"Burst to 東京都's user: {mailed.Count} mailed, {heldRows.Count} held for the summary");
        Assert.Equal(2, mailed.Count);
        Assert.True(heldRows.Count >= 1);
        Assert.All(heldRows, r => Assert.Equal("mail", r.GetProperty("channel").GetString()));
        Assert.Empty(mailed.Select(m => m.Message.Headers["X-Readiness-Notification-Id"]).Intersect(heldRows.Select(r => r.GetProperty("id").GetString())));

        // Held means not lost: each is still in the app.
        using var me = Host.Client(Host.Token(Role.Prefecture, "13", NotificationLimitsFixture.Pref13));
        var inApp = 0;
        for (var i = 0; i < 300 && inApp < 3; i++)
        {
            inApp = JsonDocument.Parse(await me.GetStringAsync("/api/v1/notifications")).RootElement.GetProperty("items").EnumerateArray()
                .Count(n => n.GetProperty("kind").GetString() == "regression");
            await Task.Delay(100);
        }

        Assert.Equal(3, inApp);
        Assert.Equal(2, fixture.Smtp.Mailbox.To(NotificationLimitsFixture.Pref13).Count); // and still only the limit by mail
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Notifications;
using Readiness.Web.Identity;
using Readiness.Web.Notifications;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>The system clock moved forward by <see cref="Offset"/>: what the scan sees while the rest of the host keeps real time.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}

/// <summary>A <see cref="NotificationHost"/> whose notification scan reads <see cref="Clock"/> (the keyed clock <see cref="NotificationScan.ClockKey"/>).</summary>
public sealed class ScanHost(string dataPath, int smtpPort, ShiftedClock clock) : NotificationHost(dataPath, smtpPort)
{
    public ShiftedClock Clock => clock;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddKeyedSingleton<TimeProvider>(NotificationScan.ClockKey, clock));
    }

    /// <summary>What the Orleans reminder does, now: the schedule grain's tick (digests and the scan).</summary>
    public Task<int> TickAsync() => Services.GetRequiredService<IGrainFactory>().GetGrain<INotificationScheduleGrain>(INotificationScheduleGrain.Key).TickAsync();
}

/// <summary>
/// Events of time passing, delivered through the schedule grain (Orleans reminder) with a clock moved forward: the
/// 21-day reminder to the municipality's own staff, the stale event to its prefecture's staff, a designation whose
/// target passed, a national threshold crossed for national staff; once per spell however often the scan runs, and
/// still once after a restart.
/// </summary>
public sealed class NotificationScanTests(ITestOutputHelper output) : IDisposable
{
    private const string Pref13 = "scan-pref13@test.local";
    private const string Own = "scan-chiyoda@test.local";
    private const string Nation = "scan-nation@test.local";
    private readonly TestMailServer smtp = new();
    private readonly string dataPath = Directory.CreateTempSubdirectory("readiness-notify-scan-").FullName;

    private static bool Subject(MimeKit.MimeMessage m, string fragment) => (m.Subject ?? string.Empty).Contains(fragment, StringComparison.Ordinal);

    private int Count(string to, string fragment) => smtp.Mailbox.To(to).Count(m => Subject(m.Message, fragment));

    [Fact]
    public async Task Reminder_stale_past_target_and_national_threshold_come_once_each_through_the_reminder_and_after_a_restart()
    {
        smtp.Start();
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        var clock = new ShiftedClock();
        var today = Readiness.Rules.ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);
        var target = today.AddDays(3);

        var first = new ScanHost(dataPath, smtp.Port, clock);
        try
        {
            await first.InitializeAsync();
            await first.WaitUntilReadyAsync();
            await first.AddPersonAsync(Pref13, AccountRole.PrefectureStaff, "13");
            await first.AddPersonAsync(Own, AccountRole.MunicipalityReporter, ApiHost.Chiyoda);
            await first.AddPersonAsync(Nation, AccountRole.NationalStaff, null);
            using (var admin = first.Client(first.Token(Role.Admin)))
            using (var response = await admin.PostAsync("/api/v1/admin/webhooks", JsonContent(new { url = receiver.Url.ToString(), tenant = (string?)null })))
            {
                receiver.Secret = (await ApiHost.Json(response)).GetProperty("secret").GetString();
            }

            // 千代田区 reports today: a designation with a target three days ahead.
            using (var client = first.Municipality(ApiHost.Chiyoda, $"reporter@{ApiHost.Chiyoda}"))
            {
                await first.PutSystem(client, ApiHost.Chiyoda, "koseki", JsonSerializer.Serialize(new { phase = "testing", regressionReason = "ベンダー変更に伴う再計画", designated = true, designationReason = "vendor_capacity", designationTarget = target.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }));
            }

            // The first tick records the national measures (no event); wait until the nation shows the report.
            var grains = first.Services.GetRequiredService<IGrainFactory>();
            for (var i = 0; i < 100 && (await grains.GetGrain<IPrefectureGrain>("13").GetAsync()).Municipalities.Single(m => m.Code == ApiHost.Chiyoda).LastReportedAt is null; i++)
            {
                await Task.Delay(100);
            }

            Assert.Equal(0, await first.TickAsync());

            // A national threshold: the stored previous value is set just below the largest default threshold the
            // nation's overdue count has reached, as if the last scan had seen fewer.
            var overdue = (await grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync()).Figures.OverdueSystems;
            Assert.True(NotificationOptions.TryParseThresholds(new NotificationOptions().NationalOverdueThresholds, out var thresholds));
            var crossed = thresholds.Where(t => t <= overdue).DefaultIfEmpty(double.NaN).Max();
            Assert.False(double.IsNaN(crossed), $"the nation has {overdue} overdue systems, below every default threshold");
            await first.Services.GetRequiredService<NotificationStore>().SetStateAsync("national:overdue_systems", (crossed - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

            // Day 22: the reminder to the municipality's own staff (and the threshold, now).
            clock.Offset = TimeSpan.FromDays(22);
            Assert.True(await first.TickAsync() > 0);
            var (reminder, _) = await smtp.Mailbox.WaitAsync(Own, m => Subject(m, "千代田区：報告のお願い"));
            Assert.Contains("22日が過ぎました", reminder.TextBody ?? string.Empty, StringComparison.Ordinal);
            var (national, _) = await smtp.Mailbox.WaitAsync(Nation, m => Subject(m, "【Readiness】全国：全国の指標がしきい値を超過"));
            Assert.Contains($"全国の期限超過システム数が{crossed:N0}に達しました", national.TextBody ?? string.Empty, StringComparison.Ordinal);
            output.WriteLine($"National: {overdue:N0} overdue systems; threshold {crossed:N0} crossed → {national.Subject}");
            await receiver.WaitAsync(b => b.GetProperty("type").GetString() == "national_threshold");
            Assert.Equal(0, Count(Pref13, "千代田区：30日以上報告なし"));

            // Day 23: the same spell, nothing new.
            clock.Offset = TimeSpan.FromDays(23);
            await first.TickAsync();

            // Day 32: stale (to the prefecture's staff) and the designation past its target (to both).
            clock.Offset = TimeSpan.FromDays(32);
            Assert.True(await first.TickAsync() > 0);
            var (stale, _) = await smtp.Mailbox.WaitAsync(Pref13, m => Subject(m, "千代田区：30日以上報告なし"));
            Assert.Contains("32日前", stale.TextBody ?? string.Empty, StringComparison.Ordinal);
            var koseki = ReadinessCatalog.Instance.BusinessSystems.Single(b => b.Id == "koseki").NameJa;
            await smtp.Mailbox.WaitAsync(Pref13, m => Subject(m, $"千代田区 {koseki}：特定移行支援システムの目標時期超過"));
            await smtp.Mailbox.WaitAsync(Own, m => Subject(m, $"千代田区 {koseki}：特定移行支援システムの目標時期超過"));
            var hook = await receiver.WaitAsync(b => b.GetProperty("type").GetString() == "stale" && b.GetProperty("data").GetProperty("municipalityCode").GetString() == ApiHost.Chiyoda);
            Assert.Equal(32, hook.Body.GetProperty("data").GetProperty("days").GetInt32());

            // In the app too.
            using var own = first.Client(first.Token(Role.Municipality, ApiHost.Chiyoda, Own));
            var list = JsonDocument.Parse(await own.GetStringAsync("/api/v1/notifications")).RootElement.GetProperty("items");
            Assert.Contains(list.EnumerateArray(), i => i.GetProperty("kind").GetString() == "stale_reminder");
        }
        finally
        {
            try
            {
                await first.DisposeAsync();
            }
            catch (OperationCanceledException)
            {
                // A slow silo stop on a loaded machine: what was written is committed.
            }
        }

        // A restart on the same database, later still: nothing is told twice.
        clock.Offset = TimeSpan.FromDays(33);
        var second = new ScanHost(dataPath, smtp.Port, clock);
        try
        {
            await second.InitializeAsync();
            await second.WaitUntilReadyAsync();
            await second.TickAsync();
            clock.Offset = TimeSpan.FromDays(34);
            await second.TickAsync();
            await Task.Delay(3000); // the dispatcher's rounds (0.2 s) would have sent anything new
            Assert.Equal(1, Count(Own, "千代田区：報告のお願い"));
            Assert.Equal(0, Count(Pref13, "千代田区：報告のお願い"));
            Assert.Equal(1, Count(Pref13, "千代田区：30日以上報告なし"));
            Assert.Equal(0, Count(Own, "千代田区：30日以上報告なし"));
            Assert.Equal(1, Count(Pref13, "千代田区 戸籍：特定移行支援システムの目標時期超過"));
            Assert.Equal(1, Count(Own, "千代田区 戸籍：特定移行支援システムの目標時期超過"));
            Assert.Equal(1, Count(Nation, "全国の指標がしきい値を超過"));
            Assert.Single(receiver.Verified, v => v.Body.Contains("\"type\":\"stale\"", StringComparison.Ordinal) && v.Body.Contains(ApiHost.Chiyoda, StringComparison.Ordinal));
            output.WriteLine($"Mails: {string.Join(" | ", smtp.Mailbox.All.Select(m => $"{m.Message.To} {m.Message.Subject}"))}");
        }
        finally
        {
            await ((IAsyncLifetime)second).DisposeAsync();
        }
    }

    private static StringContent JsonContent(object value) => new(JsonSerializer.Serialize(value), System.Text.Encoding.UTF8, "application/json");

    public void Dispose() => smtp.Dispose();
}

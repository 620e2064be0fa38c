using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Catalog;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>One host with a real SMTP server and a webhook receiver for 北海道; the staff of 北海道 and of 大阪府.</summary>
public sealed class PrefectureRunNotificationFixture : IAsyncLifetime
{
    public const string Pref01 = "pref01@test.local";
    public const string Pref27 = "pref27-own@test.local";

    public TestMailServer Smtp { get; } = new();

    public WebhookReceiver Receiver { get; } = new();

    public NotificationHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Smtp.Start();
        await Receiver.StartAsync();
        Host = new NotificationHost(Directory.CreateTempSubdirectory("readiness-prefrun-notify-").FullName, Smtp.Port);
        await Host.InitializeAsync();
        await Host.AddPersonAsync(Pref01, AccountRole.PrefectureStaff, "01");
        await Host.AddPersonAsync(Pref27, AccountRole.PrefectureStaff, "27");

        using var admin = Host.Client(Host.Token(Role.Admin));
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = Receiver.Url.ToString(), tenant = "01" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Receiver.Secret = (await ApiHost.Json(response)).GetProperty("secret").GetString();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Host).DisposeAsync();
        await Receiver.DisposeAsync();
        Smtp.Dispose();
    }
}

/// <summary>
/// A prefecture's own system (都道府県が実施する事務, audited under its 団体コード) as a municipality's: a regression of
/// 北海道's 生活保護 (010006) is mailed to 北海道's staff naming the prefecture's system and linking to the prefecture's
/// page, reaches 北海道's webhook, is listed in the app and in the weekly digest; and the figures reconcile: every
/// system counter of the nation is Σ over the 47 prefectures of their municipalities' figures and their own systems.
/// </summary>
public sealed class PrefectureRunNotificationTests(PrefectureRunNotificationFixture fixture) : IClassFixture<PrefectureRunNotificationFixture>
{
    private const string Hokkaido = "01";
    private const string HokkaidoBody = "010006";
    private const string Business = "public_assistance";

    private NotificationHost Host => fixture.Host;

    private static readonly string[] SystemCounters =
        ["applicableSystems", "migratedSystems", "notApplicableSystems", "designatedSystems", "overdueSystems", "designationIncomplete", "pastTargetSystems", "beyondLimitSystems", "regressionSystems"];

    /// <summary>Reports the prefecture's own system twice (in production, then back to testing): a regression, newly overdue.</summary>
    private async Task RegressOwnAsync(string prefectureCode, string subject)
    {
        using var staff = Host.Client(Host.Token(Role.Prefecture, prefectureCode, subject));
        foreach (var json in new[]
        {
            """{"phase":"in_production","designated":false}""",
            """{"phase":"testing","designated":false,"regressionReason":"ベンダー撤退のため再調達"}""",
        })
        {
            using var get = await staff.GetAsync($"/api/v1/prefectures/{prefectureCode}/systems/{Business}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            var version = long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
            using var put = await staff.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/prefectures/{prefectureCode}/systems/{Business}", json, version));
            Assert.True(put.StatusCode == HttpStatusCode.OK, $"{put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task A_regression_of_a_prefectures_own_system_is_mailed_to_its_staff_sent_to_its_webhook_listed_in_the_app_and_the_digest()
    {
        await RegressOwnAsync(Hokkaido, "reporter@pref.hokkaido");
        var nameJa = ReadinessCatalog.Instance.BusinessSystems.Single(b => b.Id == Business).NameJa;

        var (mail, _) = await fixture.Smtp.Mailbox.WaitAsync(PrefectureRunNotificationFixture.Pref01,
            m => (m.Subject ?? string.Empty).Contains("フェーズの後退", StringComparison.Ordinal));
        Assert.Equal($"【Readiness】北海道（都道府県が実施する事務） {nameJa}：フェーズの後退 / Phase moved back", mail.Subject);
        var text = mail.TextBody ?? string.Empty;
        Assert.Contains("ベンダー撤退のため再調達", text, StringComparison.Ordinal);
        Assert.Contains("Hokkaido (run by the prefecture)", text, StringComparison.Ordinal);
        Assert.Matches(@"http://127\.0\.0\.1:\d+/prefectures/01\s", text); // the prefecture's page, where its own systems are
        Assert.DoesNotContain("/municipalities/", text, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Smtp.Mailbox.To(PrefectureRunNotificationFixture.Pref27), m => (m.Message.Subject ?? string.Empty).Contains("北海道", StringComparison.Ordinal));

        // The webhook for 北海道: the event keyed by the prefecture's 団体コード, its prefecture 01.
        var (_, body) = await fixture.Receiver.WaitAsync(b => b.GetProperty("type").GetString() == "regression"
            && b.GetProperty("data").GetProperty("municipalityCode").GetString() == HokkaidoBody);
        Assert.Equal((Hokkaido, "北海道", Business, "testing"), (body.GetProperty("data").GetProperty("prefectureCode").GetString(), body.GetProperty("data").GetProperty("municipalityName").GetString(),
            body.GetProperty("data").GetProperty("businessId").GetString(), body.GetProperty("data").GetProperty("phaseAfter").GetString()));

        // In the app, and the page links to the prefecture, not to a municipality page that does not exist.
        using var staff = Host.Client(Host.Token(Role.Prefecture, Hokkaido, PrefectureRunNotificationFixture.Pref01));
        var list = JsonDocument.Parse(await staff.GetStringAsync("/api/v1/notifications")).RootElement;
        var item = list.GetProperty("items").EnumerateArray().First(i => i.GetProperty("kind").GetString() == "regression");
        Assert.Contains("北海道（都道府県が実施する事務）", item.GetProperty("textJa").GetString(), StringComparison.Ordinal);

        // The weekly digest lists the prefecture's own systems with their open issues and what changed.
        using var admin = Host.Client(Host.Token(Role.Admin));
        using var digest = await admin.PostAsync($"/api/v1/admin/digests/{Hokkaido}", null);
        Assert.Equal(HttpStatusCode.OK, digest.StatusCode);
        var (digestMail, _) = await fixture.Smtp.Mailbox.WaitAsync(PrefectureRunNotificationFixture.Pref01,
            m => (m.Subject ?? string.Empty).Contains("北海道 週次ダイジェスト", StringComparison.Ordinal));
        var digestText = digestMail.TextBody ?? string.Empty;
        var own = digestText.IndexOf($"■ 北海道（都道府県が実施する事務）（{HokkaidoBody}）", StringComparison.Ordinal);
        Assert.True(own >= 0, digestText);
        Assert.Contains("フェーズ後退 1件", digestText[own..], StringComparison.Ordinal);
        Assert.Matches($"data-municipality=\"{HokkaidoBody}\"", digestMail.HtmlBody ?? string.Empty);
    }

    [Fact]
    public async Task The_nation_is_the_sum_of_the_prefectures_with_their_own_systems_regressions_included()
    {
        await RegressOwnAsync("47", "reporter@pref.okinawa");

        // Summaries travel to the prefecture and the nation in the background: read until both reports arrived and agree.
        using var national = Host.National();
        var mismatches = new List<string>();
        for (var attempt = 0; attempt < 60; attempt++)
        {
            mismatches.Clear();
            var nation = JsonDocument.Parse(await national.GetStringAsync("/api/v1/nation")).RootElement;
            var prefectures = nation.GetProperty("prefectures").EnumerateArray().ToList();
            Assert.Equal(47, prefectures.Count);
            var okinawa = prefectures.Single(p => p.GetProperty("code").GetString() == "47");
            if (okinawa.GetProperty("prefectureRun").GetProperty("regressionSystems").GetInt32() != 1)
            {
                mismatches.Add("沖縄県's own regression not in the nation view yet");
            }

            foreach (var counter in SystemCounters)
            {
                var total = nation.GetProperty("figures").GetProperty(counter).GetInt32();
                var sum = prefectures.Sum(p => p.GetProperty("figures").GetProperty(counter).GetInt32() + p.GetProperty("prefectureRun").GetProperty(counter).GetInt32());
                var own = prefectures.Sum(p => p.GetProperty("prefectureRun").GetProperty(counter).GetInt32());
                if (total != sum || nation.GetProperty("prefectureRun").GetProperty(counter).GetInt32() != own)
                {
                    mismatches.Add($"{counter}: nation {total}, Σ prefectures {sum}; nation's own {nation.GetProperty("prefectureRun").GetProperty(counter).GetInt32()}, Σ prefectures' own {own}");
                }
            }

            // The prefecture's own view says the same as the nation's entry for it.
            var view = JsonDocument.Parse(await national.GetStringAsync("/api/v1/prefectures/47")).RootElement.GetProperty("prefecture");
            foreach (var counter in SystemCounters)
            {
                foreach (var block in new[] { "prefectureRun", "figures" })
                {
                    var inNation = okinawa.GetProperty(block).GetProperty(counter).GetInt32();
                    var inPrefecture = view.GetProperty(block).GetProperty(counter).GetInt32();
                    if (inNation != inPrefecture)
                    {
                        mismatches.Add($"47 {block}.{counter}: nation's entry {inNation}, prefecture view {inPrefecture}");
                    }
                }
            }

            if (mismatches.Count == 0)
            {
                return;
            }

            await Task.Delay(500);
        }

        Assert.Fail(string.Join("; ", mismatches));
    }
}

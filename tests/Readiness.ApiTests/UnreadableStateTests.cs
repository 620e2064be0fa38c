using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Notifications;
using Readiness.Testing;
using Readiness.Web.Identity;
using Readiness.Web.Notifications;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// A <see cref="NotificationHost"/> whose scan reads <see cref="ShiftedClock"/> (as <see cref="ScanHost"/>) and whose
/// forecast asks the municipalities it left out again at every answer (no wait between checks).
/// </summary>
public sealed class UnreadableHost(string dataPath, int smtpPort, ShiftedClock clock) : NotificationHost(dataPath, smtpPort)
{
    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:Planning:UnreadableRecheckSeconds"] = "0";
        return settings;
    }

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Microsoft.AspNetCore.TestHost.WebHostBuilderExtensions.ConfigureTestServices(builder, services => services.AddKeyedSingleton<TimeProvider>(NotificationScan.ClockKey, clock));
    }

    /// <summary>What the Orleans reminder does, now: the schedule grain's tick (digests and the scan).</summary>
    public Task<int> TickAsync() => Services.GetRequiredService<IGrainFactory>().GetGrain<INotificationScheduleGrain>(INotificationScheduleGrain.Key).TickAsync();
}

/// <summary>
/// One host whose 千代田区 (131016) row was damaged while it was stopped (its compressed state loses its last bytes), as
/// <c>EmbeddedHostTests.A_municipality_whose_stored_state_cannot_be_read_is_counted_and_named_not_silently_left_out</c>
/// does: before the damage 中央区 reported a designation due in three days and 東京都 has a staff member wanting the
/// weekly digest; after it the scan's clock is five days on and the digest is due. Shared by the tests of
/// <see cref="UnreadableStateTests"/> (one start, one restart).
/// </summary>
public sealed class DamagedHost : IAsyncLifetime
{
    public const string Damaged = ApiHost.Chiyoda;

    /// <summary>港区: damaged too, and restored by the import test (its original bytes are kept).</summary>
    public const string Restored = "131032";
    public const string Pref13 = "unreadable-pref13@test.local";

    private readonly TestMailServer smtp = new();
    private readonly string dataPath = Directory.CreateTempSubdirectory("readiness-unreadable-").FullName;

    public ShiftedClock Clock { get; } = new();

    public UnreadableHost Host { get; private set; } = null!;

    /// <summary>The national export's ETag before the damage.</summary>
    public string ExportETagBefore { get; private set; } = string.Empty;

    public string DatabasePath => Path.Combine(dataPath, Readiness.Hosting.SqliteSchema.DatabaseFileName);

    /// <summary>港区's stored state before the damage.</summary>
    public byte[] RestoredPayload { get; private set; } = [];

    public async Task InitializeAsync()
    {
        smtp.Start();
        var first = new UnreadableHost(dataPath, smtp.Port, Clock);
        try
        {
            await first.InitializeAsync();
            await first.WaitUntilReadyAsync();
            await first.AddPersonAsync(Pref13, AccountRole.PrefectureStaff, "13");
            var target = Readiness.Rules.ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow).AddDays(3);
            using (var client = first.Municipality(ApiHost.Chuo, $"reporter@{ApiHost.Chuo}"))
            {
                await first.PutSystem(client, ApiHost.Chuo, "koseki", JsonSerializer.Serialize(new
                {
                    phase = "testing", regressionReason = "ベンダー変更に伴う再計画", designated = true, designationReason = "vendor_capacity",
                    designationTarget = target.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                }));
            }

            using var national = first.National();
            using var export = await national.GetAsync("/api/v1/export/municipalities.csv");
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
            ExportETagBefore = export.Headers.ETag!.Tag;
        }
        finally
        {
            try
            {
                await first.DisposeAsync(); // keeps the data folder
            }
            catch (OperationCanceledException)
            {
                // A slow silo stop on a loaded machine: what was written is committed.
            }
        }

        // The file is damaged while the server is stopped: 千代田区's (and 港区's) stored state loses its last bytes.
        using (var db = new SqliteConnection(Readiness.Hosting.SqliteSchema.ConnectionString(DatabasePath)))
        {
            db.Open();
            using (var keep = db.CreateCommand())
            {
                keep.CommandText = $"SELECT payload FROM readiness_grain_state WHERE grain_id LIKE '%{Restored}' AND state_name = 'municipality'";
                RestoredPayload = (byte[])keep.ExecuteScalar()!;
            }

            foreach (var code in new[] { Damaged, Restored })
            {
                using var damage = db.CreateCommand();
                damage.CommandText = $"UPDATE readiness_grain_state SET payload = substr(payload, 1, length(payload) - 40) WHERE grain_id LIKE '%{code}' AND state_name = 'municipality' AND typeof(payload) = 'blob'";
                Assert.Equal(1, damage.ExecuteNonQuery());
            }

            SqliteConnection.ClearPool(db);
        }

        Clock.Offset = TimeSpan.FromDays(5);
        Host = new UnreadableHost(dataPath, smtp.Port, Clock);
        await Host.InitializeAsync();
        await Host.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Host).DisposeAsync();
        smtp.Dispose();
    }
}

/// <summary>
/// With one municipality's stored state unreadable, whatever reads many municipalities answers for the other 1,740 and
/// names the one left out: the national export (CSV and .xlsx, one marked row), the forecast and the lock-in view, the
/// reconciliation, the notification schedule (digest and scan) and an official import (the row reported, the others applied).
/// </summary>
public sealed class UnreadableStateTests(DamagedHost fixture, ITestOutputHelper output) : IClassFixture<DamagedHost>
{
    private UnreadableHost Host => fixture.Host;

    [Fact]
    public async Task The_national_export_has_every_other_municipality_and_one_marked_row_for_the_unreadable_one()
    {
        using var national = Host.National();
        using var csv = await national.GetAsync("/api/v1/export/municipalities.csv");
        var text = await csv.Content.ReadAsStringAsync();
        Assert.True(csv.StatusCode == HttpStatusCode.OK, $"{(int)csv.StatusCode} {text[..Math.Min(500, text.Length)]}");
        var lines = text.TrimStart('\uFEFF').Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var origin = Array.IndexOf(header, "origin");
        var codes = lines.Skip(1).Select(l => l[..6]).ToList();
        Assert.Equal(1741, codes.Distinct().Count());
        var marks = lines.Skip(1).Where(l => l.Split(',')[origin] == "unreadable").Select(l => l[..6]).ToList();
        Assert.Contains(DamagedHost.Damaged, marks);
        Assert.Equal(((1741 - marks.Count) * ReadinessCatalog.Instance.BusinessSystems.Count) + marks.Count, codes.Count);
        var marked = Assert.Single(lines, l => l.StartsWith(DamagedHost.Damaged, StringComparison.Ordinal)).Split(',');
        Assert.Equal([DamagedHost.Damaged, "13", "東京都", "千代田区"], marked[..4]);
        Assert.Equal("unreadable", marked[origin]);
        Assert.All(marked.Where((_, i) => i > 3 && i != origin), Assert.Empty);

        // The validator changed with the set of unreadable municipalities: the copy from before is not "not modified".
        Assert.NotEqual(fixture.ExportETagBefore, csv.Headers.ETag!.Tag);
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/v1/export/municipalities.csv");
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(fixture.ExportETagBefore));
        Assert.Equal(HttpStatusCode.OK, (await national.SendAsync(conditional)).StatusCode);
        conditional.Dispose();
        using var same = new HttpRequestMessage(HttpMethod.Get, "/api/v1/export/municipalities.csv");
        same.Headers.IfNoneMatch.Add(csv.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await national.SendAsync(same)).StatusCode);

        // A prefecture's export too.
        using var tokyo = await national.GetAsync("/api/v1/export/municipalities.csv?prefecture=13");
        Assert.Equal(HttpStatusCode.OK, tokyo.StatusCode);
        Assert.Contains($"{DamagedHost.Damaged},13,東京都,千代田区,", await tokyo.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var xlsx = await national.GetAsync("/api/v1/export/municipalities.xlsx");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        var rows = ReadSheet(await xlsx.Content.ReadAsByteArrayAsync());
        var xlsxOrigin = Array.IndexOf(rows[0], "origin");
        Assert.Equal(1741, rows.Skip(1).Select(r => r[0]).Distinct().Count());
        var row = Assert.Single(rows.Skip(1), r => r[0] == DamagedHost.Damaged);
        Assert.Equal([DamagedHost.Damaged, "13", "東京都", "千代田区"], row[..4]);
        Assert.Equal("unreadable", row[xlsxOrigin]);
    }

    [Fact]
    public async Task The_forecast_the_lock_in_view_and_the_reconciliation_answer_and_name_the_municipality_left_out()
    {
        using var national = Host.National();
        foreach (var path in new[] { "/api/v1/forecast/nation", "/api/v1/forecast/prefectures/13", $"/api/v1/forecast/municipalities/{ApiHost.Chuo}" })
        {
            using var response = await national.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body[..Math.Min(500, body.Length)]}");
            var unreadable = JsonDocument.Parse(body).RootElement.GetProperty("run").GetProperty("unreadable");
            AssertNamesDamaged(unreadable);
        }

        // Another prefecture's forecast, and one of its municipalities', name only their own prefecture's left out: none.
        foreach (var path in new[] { "/api/v1/forecast/prefectures/27", $"/api/v1/forecast/municipalities/{ApiHost.Osaka}" })
        {
            using var response = await national.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var unreadable = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("run").GetProperty("unreadable");
            Assert.Equal(0, unreadable.GetProperty("count").GetInt32());
        }

        using var vendors = await national.GetAsync("/api/v1/vendors");
        Assert.Equal(HttpStatusCode.OK, vendors.StatusCode);
        var view = JsonDocument.Parse(await vendors.Content.ReadAsStringAsync()).RootElement;
        AssertNamesDamaged(view.GetProperty("nation").GetProperty("unreadable"));
        Assert.Equal(0, view.GetProperty("prefectures").EnumerateArray().Single(p => p.GetProperty("code").GetString() == "27").GetProperty("unreadable").GetProperty("count").GetInt32());
        using var tokyo = await national.GetAsync("/api/v1/vendors/prefectures/13");
        AssertNamesDamaged(JsonDocument.Parse(await tokyo.Content.ReadAsStringAsync()).RootElement.GetProperty("unreadable"));

        using var reconciliation = await national.GetAsync("/api/v1/reconciliation?prefecture=13");
        Assert.Equal(HttpStatusCode.OK, reconciliation.StatusCode);
        AssertNamesDamaged(JsonDocument.Parse(await reconciliation.Content.ReadAsStringAsync()).RootElement.GetProperty("unreadable"));

        // The pages say it too (Japanese by default).
        var page = WebUtility.HtmlDecode(await (await Host.SignedInPagesAsync(Host.Token(Role.National))).GetStringAsync("/planning"));
        Assert.Contains("data-unreadable=", page, StringComparison.Ordinal);
        Assert.Matches("保存データを読み取れない[12]団体（131016 千代田区", page);
    }

    /// <summary>
    /// The forecast's coverage (kept forecasts against the go-lives since) names the municipalities whose state, and so
    /// whose go-lives, cannot be read, in the forecasts' shape. Before, it had no unreadable member and said nothing.
    /// </summary>
    [Fact]
    public async Task The_forecast_coverage_names_the_municipality_left_out()
    {
        using var national = Host.National();
        using var response = await national.GetAsync("/api/v1/forecast/coverage");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body[..Math.Min(500, body.Length)]}");
        var view = JsonDocument.Parse(body).RootElement;
        Assert.True(view.TryGetProperty("unreadable", out var unreadable), body[..Math.Min(500, body.Length)]);
        AssertNamesDamaged(unreadable);
    }

    /// <summary>
    /// The prefecture table's downloads (API CSV and .xlsx, the dashboard's CSV) have one marked row for a municipality
    /// missing from the figures, as the detailed export does (origin "missing", every figure empty); a filtered table
    /// does not. Before, the row was silently absent.
    /// </summary>
    [Fact]
    public async Task The_prefecture_table_downloads_have_a_marked_row_for_the_missing_municipality()
    {
        using var national = Host.National();
        using var csv = await national.GetAsync("/api/v1/prefectures/13/municipalities.csv");
        var text = await csv.Content.ReadAsStringAsync();
        Assert.True(csv.StatusCode == HttpStatusCode.OK, $"{(int)csv.StatusCode} {text[..Math.Min(500, text.Length)]}");
        var lines = text.TrimStart('\uFEFF').Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        Assert.Equal(ReadinessCatalog.Instance.MunicipalitiesByPrefecture["13"].Count, lines.Length - 1);
        var marked = Assert.Single(lines, l => l.StartsWith(DamagedHost.Damaged + ",", StringComparison.Ordinal)).Split(',');
        Assert.Equal([DamagedHost.Damaged, "13", "東京都", "千代田区"], marked[..4]);
        Assert.Equal("missing", marked[Array.IndexOf(header, "origin")]);
        Assert.Equal("", marked[Array.IndexOf(header, "progress")]);

        using var filtered = await national.GetAsync("/api/v1/prefectures/13/municipalities.csv?flag=overdue");
        Assert.DoesNotContain(DamagedHost.Damaged + ",", await filtered.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var xlsx = await national.GetAsync("/api/v1/prefectures/13/municipalities.xlsx");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        var rows = ReadSheet(await xlsx.Content.ReadAsByteArrayAsync());
        var row = Assert.Single(rows.Skip(1), r => r[0] == DamagedHost.Damaged);
        Assert.Equal([DamagedHost.Damaged, "13", "東京都", "千代田区"], row[..4]);
        Assert.Equal("missing", row[Array.IndexOf(rows[0], "origin")]);
    }

    [Fact]
    public async Task The_nation_and_prefecture_summaries_name_the_municipality_missing_from_their_figures()
    {
        using var national = Host.National();
        using var nation = await national.GetAsync("/api/v1/nation");
        Assert.Equal(HttpStatusCode.OK, nation.StatusCode);
        var nationView = JsonDocument.Parse(await nation.Content.ReadAsStringAsync()).RootElement;
        AssertNamesMissing(nationView.GetProperty("missing"));

        using var tokyo = await national.GetAsync("/api/v1/prefectures/13");
        Assert.Equal(HttpStatusCode.OK, tokyo.StatusCode);
        var tokyoView = JsonDocument.Parse(await tokyo.Content.ReadAsStringAsync()).RootElement;
        AssertNamesMissing(tokyoView.GetProperty("missing"));
        Assert.DoesNotContain(tokyoView.GetProperty("items").EnumerateArray(), m => m.GetProperty("code").GetString() == DamagedHost.Damaged);

        // Another prefecture has all of its municipalities: nothing missing, no sentence.
        using var osaka = await national.GetAsync("/api/v1/prefectures/27");
        var osakaMissing = JsonDocument.Parse(await osaka.Content.ReadAsStringAsync()).RootElement.GetProperty("missing");
        Assert.Equal(0, osakaMissing.GetProperty("count").GetInt32());
        Assert.Equal(JsonValueKind.Null, osakaMissing.GetProperty("messageJa").ValueKind);

        // The dashboard's nation and Tokyo pages say it; Osaka's does not.
        using var pages = await Host.SignedInPagesAsync(Host.Token(Role.National));
        foreach (var path in new[] { "/", "/prefectures/13" })
        {
            var page = WebUtility.HtmlDecode(await pages.GetStringAsync(path));
            Assert.Contains("data-unreadable=", page, StringComparison.Ordinal);
            Assert.Matches("[12]団体（131016 千代田区[^）]*）がこの集計に含まれていません", page);
        }

        Assert.DoesNotContain("data-unreadable=", await pages.GetStringAsync("/prefectures/27"), StringComparison.Ordinal);
    }

    /// <summary>千代田区 is named as missing from the figures (港区 too until the import test restores it).</summary>
    private static void AssertNamesMissing(JsonElement missing)
    {
        var named = missing.GetProperty("municipalities").EnumerateArray().ToList();
        Assert.Equal(named.Count, missing.GetProperty("count").GetInt32());
        var m = Assert.Single(named, m => m.GetProperty("code").GetString() == DamagedHost.Damaged);
        Assert.Equal("千代田区", m.GetProperty("name").GetString());
        Assert.All(named, n => Assert.Contains(n.GetProperty("code").GetString(), new[] { DamagedHost.Damaged, DamagedHost.Restored }));
        Assert.Contains("131016 千代田区", missing.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("not in these figures", missing.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_digest_and_the_scan_go_on_for_everyone_else()
    {
        // The weekly digest of 東京都 is due (its last one eight days ago); it reads every municipality of the prefecture.
        var store = Host.Services.GetRequiredService<NotificationStore>();
        await store.SetStateAsync("digest:13", DateTimeOffset.UtcNow.AddDays(-8).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        var added = await Host.TickAsync();
        output.WriteLine($"Tick: {added} rows");
        Assert.True(added > 0, "the schedule's tick added nothing (it failed on the unreadable municipality?)");

        var digest = await Host.Services.GetRequiredService<DigestService>().LinesAsync("13", DateTimeOffset.UtcNow.AddDays(-8), DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.DoesNotContain(digest, l => l.MunicipalityCode == DamagedHost.Damaged);

        // The scan told 中央区's designation past its target (five days on, the target was three days ahead).
        var outbox = string.Concat(await Task.WhenAll(new[] { "pending", "delivered", "held" }.Select(async s => JsonSerializer.Serialize(await Host.OutboxAsync(s)))));
        Assert.Contains(ApiHost.Chuo, outbox, StringComparison.Ordinal);
        Assert.Contains("past_target", outbox, StringComparison.Ordinal);
        Assert.Contains("digest", outbox, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backup_of_damaged_data_is_refused_naming_it_without_an_invitation_to_retry()
    {
        using var admin = Host.Client(Host.Token(Role.Admin));
        using var response = await admin.PostAsync(new Uri("/api/v1/admin/backups", UriKind.Relative), null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Null(response.Headers.RetryAfter); // asking again copies the same rows
        var error = JsonDocument.Parse(body).RootElement.GetProperty("errors")[0];
        Assert.Equal(("storage", "unreadable"), (error.GetProperty("field").GetString(), error.GetProperty("code").GetString()));
        Assert.Contains(DamagedHost.Damaged, JsonDocument.Parse(body).RootElement.GetProperty("state").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("backup", error.GetProperty("messageJa").GetString(), StringComparison.OrdinalIgnoreCase); // Japanese throughout
    }

    [Fact]
    public async Task An_official_import_reports_the_unreadable_row_and_applies_the_others()
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToArray();
        var codes = new[] { DamagedHost.Damaged, DamagedHost.Restored, ApiHost.Osaka };
        var rows = codes.Select(code =>
        {
            var m = catalog.MunicipalitiesByCode[code];
            return new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name,
                catalog.BusinessSystems.Select((b, i) => (b.SoumuLabel, Rate: 1m)).ToDictionary(x => x.SoumuLabel, x => x.Rate)); // every step complete: systems change
        }).ToList();
        var file = OfficialWorkbooks.MicProgress("令和8年2月_進捗状況", labels, rows);

        using var national = Host.Client(Host.Token(Role.National));
        using var upload = await ApiHost.PostImportAsync(national, file, "tally.xlsx");
        var uploaded = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Created, $"{(int)upload.StatusCode} {uploaded[..Math.Min(800, uploaded.Length)]}");
        var preview = JsonDocument.Parse(uploaded).RootElement;
        Assert.Equal(2, preview.GetProperty("preview").GetProperty("municipalitiesUnreadable").GetInt32());
        Assert.Equal([DamagedHost.Damaged, DamagedHost.Restored], preview.GetProperty("unreadable").EnumerateArray().Select(u => u.GetProperty("code").GetString()));
        var dryRun = preview.GetProperty("unreadable")[0];
        Assert.Equal("千代田区", dryRun.GetProperty("municipality").GetString());
        Assert.Contains("読み取れない", dryRun.GetProperty("messageJa").GetString(), StringComparison.Ordinal);

        var id = preview.GetProperty("id").GetString();
        var applied = await ApplyAsync(national, id!);
        Assert.Equal(2, applied.GetProperty("counts").GetProperty("municipalitiesUnreadable").GetInt32());
        var refused = applied.GetProperty("unreadable").EnumerateArray().ToList();
        Assert.Equal([DamagedHost.Damaged, DamagedHost.Restored], refused.Select(r => r.GetProperty("code").GetString()));
        Assert.All(refused, r => Assert.True(r.GetProperty("row").GetInt32() > 0));
        Assert.Contains("not applied", refused[0].GetProperty("messageEn").GetString(), StringComparison.OrdinalIgnoreCase);
        static int Taken(JsonElement counts) => new[] { "municipalitiesChanged", "municipalitiesConfirmed", "municipalitiesOlder" }.Sum(c => counts.GetProperty(c).GetInt32());
        Assert.Equal(1, Taken(applied.GetProperty("counts")));

        // The others were applied: 大阪市's figures now come from the tally.
        var source = Readiness.Web.Imports.OfficialImportService.MicSource + " 2026-02";
        var (osaka, _) = await Host.GetMunicipality(ApiHost.Osaka);
        Assert.Contains(source, osaka.ToString(), StringComparison.Ordinal);

        // The reconciliation notices after the apply could not compare the two: kept to be told once they can be read.
        var store = Host.Services.GetRequiredService<NotificationStore>();
        var pending = Readiness.Web.Imports.ReconciliationNotifier.UnreadableName(id!);
        Assert.Equal($"{DamagedHost.Damaged},{DamagedHost.Restored}", await store.GetStateAsync(pending));

        // The forecast as computed now (kept for ten minutes) leaves 港区 out ...
        Assert.Contains(await LeftOutOfForecastAsync(national), c => c == DamagedHost.Restored);

        // 港区 is restored from its good bytes: applying again applies its row (and only it), under the first apply.
        await using (var db = new SqliteConnection(Readiness.Hosting.SqliteSchema.ConnectionString(fixture.DatabasePath)))
        {
            await db.OpenAsync();
            await using var restore = db.CreateCommand();
            restore.CommandText = $"UPDATE readiness_grain_state SET payload = $payload WHERE grain_id LIKE '%{DamagedHost.Restored}' AND state_name = 'municipality'";
            restore.Parameters.AddWithValue("$payload", fixture.RestoredPayload);
            Assert.Equal(1, await restore.ExecuteNonQueryAsync());
        }

        var again = await ApplyAsync(national, id!);
        Assert.Equal(applied.GetProperty("appliedAt").GetString(), again.GetProperty("appliedAt").GetString());
        Assert.Equal(1, again.GetProperty("counts").GetProperty("municipalitiesUnreadable").GetInt32());
        Assert.Equal(DamagedHost.Damaged, Assert.Single(again.GetProperty("unreadable").EnumerateArray()).GetProperty("code").GetString());
        Assert.Equal(2, Taken(again.GetProperty("counts")));
        // 港区's systems are counted in too (the tally completes every step, which its baseline had not).
        Assert.True(again.GetProperty("counts").GetProperty("systemsChanged").GetInt32() > applied.GetProperty("counts").GetProperty("systemsChanged").GetInt32(),
            $"systems changed: {applied.GetProperty("counts").GetProperty("systemsChanged")} before, {again.GetProperty("counts").GetProperty("systemsChanged")} after");
        var (minato, _) = await Host.GetMunicipality(DamagedHost.Restored);
        Assert.Contains(source, minato.ToString(), StringComparison.Ordinal);
        Assert.Equal(DamagedHost.Damaged, await store.GetStateAsync(pending));

        // ... and once it can be read, the next answer includes it again (the kept forecast does not hide that it came back).
        Assert.Equal([DamagedHost.Damaged], await LeftOutOfForecastAsync(national));
    }

    private static async Task<List<string?>> LeftOutOfForecastAsync(HttpClient national)
    {
        using var response = await national.GetAsync("/api/v1/forecast/nation");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("run").GetProperty("unreadable").GetProperty("municipalities")
            .EnumerateArray().Select(m => m.GetProperty("code").GetString())];
    }

    private static async Task<JsonElement> ApplyAsync(HttpClient national, string id)
    {
        using var apply = await national.PostAsync($"/api/v1/imports/{id}/apply", null);
        var text = await apply.Content.ReadAsStringAsync();
        Assert.True(apply.StatusCode == HttpStatusCode.OK, $"{(int)apply.StatusCode} {text[..Math.Min(800, text.Length)]}");
        return JsonDocument.Parse(text).RootElement.GetProperty("applied").Clone();
    }

    /// <summary>千代田区 is named (港区 too until the import test restores it).</summary>
    private static void AssertNamesDamaged(JsonElement unreadable)
    {
        var named = unreadable.GetProperty("municipalities").EnumerateArray().ToList();
        Assert.Equal(named.Count, unreadable.GetProperty("count").GetInt32());
        var m = Assert.Single(named, m => m.GetProperty("code").GetString() == DamagedHost.Damaged);
        Assert.Equal("千代田区", m.GetProperty("name").GetString());
        Assert.Equal("東京都", m.GetProperty("prefecture").GetString());
        Assert.All(named, n => Assert.Contains(n.GetProperty("code").GetString(), new[] { DamagedHost.Damaged, DamagedHost.Restored }));
        Assert.Contains("131016 千代田区", unreadable.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("left out", unreadable.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The first sheet's cells as text (ExcelDataReader, as the official import reads workbooks).</summary>
    internal static List<string[]> ReadSheet(byte[] bytes)
    {
        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
        using var stream = new MemoryStream(bytes);
        using var reader = ExcelDataReader.ExcelReaderFactory.CreateOpenXmlReader(stream);
        var rows = new List<string[]>();
        while (reader.Read())
        {
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? string.Empty)]);
        }

        return rows;
    }
}

using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Readiness.Hosting;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// What changed across a prefecture (GET /api/v1/prefectures/{prefCode}/changes) and the nation (/api/v1/nation/changes):
/// many municipalities' audit entries, newest first, paged without gaps or duplicates, for those allowed only; and the
/// prefecture page's 「最近の変更」 and 後退 column.
/// </summary>
public sealed class AreaChangesTests(AreaChangesTests.ChangedHost host) : IClassFixture<AreaChangesTests.ChangedHost>
{
    private IReadOnlyList<(string Code, string Business)> Written => host.Written;


    [Fact]
    public async Task A_prefecture_reads_its_municipalities_changes_newest_first_in_pages_without_gaps_or_duplicates()
    {
        using var prefecture = host.Client(host.Token(Role.Prefecture, "13", "pref-13"));
        var items = await ReadAll(prefecture, "/api/v1/prefectures/13/changes", limit: 3);

        var expected = Written.Where(w => w.Code.StartsWith("13", StringComparison.Ordinal)).Reverse().Select(w => $"{w.Code} system:{w.Business}").ToList();
        Assert.Equal(expected, items.Select(e => $"{e.GetProperty("municipalityCode").GetString()} {e.GetProperty("target").GetString()}").ToList());

        // The entry of a municipality's history, with the municipality's code and name.
        var newest = items[0];
        Assert.Equal(ApiHost.Chiyoda, newest.GetProperty("municipalityCode").GetString());
        Assert.Equal("千代田区", newest.GetProperty("municipalityName").GetString());
        Assert.Equal("tanaka", newest.GetProperty("subject").GetString());
        Assert.Equal("municipality", newest.GetProperty("role").GetString());
        Assert.Equal("ベンダ6", newest.GetProperty("after").GetProperty("vendor").GetString());
        using var national = host.National();
        var history = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}/history?limit=1")).RootElement.GetProperty("items")[0];
        foreach (var member in history.EnumerateObject())
        {
            Assert.Equal(member.Value.ToString(), newest.GetProperty(member.Name).ToString());
        }
    }

    [Fact]
    public async Task A_prefectures_changes_hold_the_systems_it_runs_itself_named_and_marked_in_the_feed_the_csv_and_the_page()
    {
        using var hokkaido = host.Client(host.Token(Role.Prefecture, "01", "pref-01"));
        var page = JsonDocument.Parse(await hokkaido.GetStringAsync("/api/v1/prefectures/01/changes")).RootElement;
        var own = Assert.Single(page.GetProperty("items").EnumerateArray().ToList());
        Assert.Equal(ChangedHost.HokkaidoBody, own.GetProperty("municipalityCode").GetString());
        Assert.Equal("北海道", own.GetProperty("municipalityName").GetString());
        Assert.True(own.GetProperty("prefectureRun").GetBoolean());
        Assert.Equal("system:child_rearing_allowance", own.GetProperty("target").GetString());
        Assert.Equal("道庁ベンダ", own.GetProperty("after").GetProperty("vendor").GetString());

        // A municipality's change is not marked.
        using var tokyo = host.Client(host.Token(Role.Prefecture, "13", "pref-13"));
        var tokyoItems = JsonDocument.Parse(await tokyo.GetStringAsync("/api/v1/prefectures/13/changes")).RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(tokyoItems);
        Assert.All(tokyoItems, e => Assert.False(e.GetProperty("prefectureRun").GetBoolean()));

        // The CSV marks it in its own column, as the detailed export does.
        var csv = AuditForgingTests.ParseCsv((await hokkaido.GetStringAsync("/api/v1/prefectures/01/changes.csv")).TrimStart('\uFEFF'));
        Assert.Equal(["municipality_code", "municipality_name"], csv[0].Take(2));
        var column = csv[0].IndexOf("prefecture_run");
        Assert.True(column >= 0, string.Join(",", csv[0]));
        var row = Assert.Single(csv.Skip(1));
        Assert.Equal([ChangedHost.HokkaidoBody, "北海道"], row.Take(2));
        Assert.Equal("true", row[column]);

        // The page links it to the prefecture's own systems, not to a municipality page that does not exist.
        using var pages = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "01", "pref-01"));
        var html = await pages.GetStringAsync("/prefectures/01/changes");
        Assert.Contains("<a href=\"/prefectures/01#prefecture-run\">北海道</a>", html, StringComparison.Ordinal);
        Assert.Contains("都道府県が実施する事務", html, StringComparison.Ordinal);
        Assert.DoesNotContain("/municipalities/" + ChangedHost.HokkaidoBody, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task National_staff_and_administrators_read_the_nations_changes_newest_first()
    {
        foreach (var token in new[] { host.Token(Role.National), host.Token(Role.Admin) })
        {
            using var client = host.Client(token);
            var items = await ReadAll(client, "/api/v1/nation/changes", limit: 2);
            Assert.Equal(Written.AsEnumerable().Reverse().Select(w => $"{w.Code} system:{w.Business}").ToList(),
                items.Select(e => $"{e.GetProperty("municipalityCode").GetString()} {e.GetProperty("target").GetString()}").ToList());
            Assert.Contains(items, e => e.GetProperty("municipalityName").GetString() == "大阪市");
        }
    }

    [Fact]
    public async Task Only_the_prefecture_national_staff_and_administrators_may_read_them()
    {
        using var municipality = host.Municipality(ApiHost.Chiyoda);
        using var other = host.Client(host.Token(Role.Prefecture, "27"));
        using var prefecture = host.Client(host.Token(Role.Prefecture, "13"));
        using var anonymous = host.Client();

        using (var refused = await municipality.GetAsync(new Uri("/api/v1/prefectures/13/changes", UriKind.Relative)))
        {
            var problem = await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "prefCode");
            Assert.Contains("13", problem.GetProperty("errors")[0].GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        }

        using (var refused = await other.GetAsync(new Uri("/api/v1/prefectures/13/changes", UriKind.Relative)))
        {
            await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "prefCode");
        }

        foreach (var client in new[] { municipality, other, prefecture })
        {
            using var refused = await client.GetAsync(new Uri("/api/v1/nation/changes", UriKind.Relative));
            await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "role");
        }

        using (var unauthenticated = await anonymous.GetAsync(new Uri("/api/v1/prefectures/13/changes", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        }

        using var own = await other.GetAsync(new Uri("/api/v1/prefectures/27/changes", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var osaka = (await ApiHost.Json(own)).GetProperty("items");
        Assert.Equal([ApiHost.Osaka], osaka.EnumerateArray().Select(e => e.GetProperty("municipalityCode").GetString()).ToList());
    }

    [Theory]
    [InlineData("/api/v1/prefectures/13/changes?limit=0", "limit")]
    [InlineData("/api/v1/prefectures/13/changes?limit=201", "limit")]
    [InlineData("/api/v1/prefectures/13/changes?limit=abc", "limit")]
    [InlineData("/api/v1/prefectures/13/changes?cursor=bm90LWEtY3Vyc29y", "cursor")]
    [InlineData("/api/v1/prefectures/13/changes?cursor=%21%21", "cursor")]
    [InlineData("/api/v1/nation/changes?limit=-1", "limit")]
    [InlineData("/api/v1/nation/changes?cursor=Y2hhbmdlczotMQ", "cursor")]
    public async Task A_bad_limit_or_cursor_is_400_naming_it(string path, string field)
    {
        using var national = host.National();
        using var response = await national.GetAsync(new Uri(path, UriKind.Relative));
        await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task An_unknown_prefecture_is_refused_naming_it()
    {
        using var national = host.National();
        using var response = await national.GetAsync(new Uri("/api/v1/prefectures/48/changes", UriKind.Relative));
        await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "prefCode");
    }

    [Fact]
    public async Task The_prefecture_page_shows_recent_changes_to_those_allowed_and_a_regression_column()
    {
        using var prefecture = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "13", "pref-13"));
        var html = await prefecture.GetStringAsync("/prefectures/13");
        var section = Section(html, "data-area-changes=\"13\"");
        Assert.Contains("最近の変更", section, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/municipalities/{ApiHost.Chiyoda}\">千代田区</a>", section, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/municipalities/{ApiHost.Chuo}\">中央区</a>", section, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiHost.Osaka, section, StringComparison.Ordinal);
        Assert.Contains("ベンダ（アプリ提供事業者）", section, StringComparison.Ordinal); // what changed, in words
        Assert.Contains("「ベンダ6」", section, StringComparison.Ordinal);
        Assert.Contains("tanaka", section, StringComparison.Ordinal);
        Assert.Contains("JST", section, StringComparison.Ordinal);
        Assert.Contains("data-sort=\"regression\"", html, StringComparison.Ordinal);
        Assert.Contains(">後退</a>", html, StringComparison.Ordinal);

        // The page is open to every signed-in role; the changes are not.
        using var municipality = await host.SignedInPagesAsync(host.Token(Role.Municipality, ApiHost.Chiyoda));
        Assert.DoesNotContain("data-area-changes", await municipality.GetStringAsync("/prefectures/13"), StringComparison.Ordinal);

        using var national = await host.SignedInPagesAsync(host.Token(Role.National));
        var overview = Section(await national.GetStringAsync("/"), "data-area-changes=\"nation\"");
        Assert.Contains("大阪市", overview, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Readiness.Grains.AreaConfirmations.Each)]
    [InlineData(Readiness.Grains.AreaConfirmations.Grouped)] // the default: a confirming report's other entries left out by a primary key lookup
    [InlineData(Readiness.Grains.AreaConfirmations.Exclude)]
    public void A_prefecture_page_is_read_through_the_prefecture_index(Readiness.Grains.AreaConfirmations confirmations)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(host.DataPath, SqliteSchema.DatabaseFileName)};Mode=ReadOnly");
        connection.Open();
        using var plan = connection.CreateCommand();
        plan.CommandText = "EXPLAIN QUERY PLAN " + SqlAuditLog.AreaSql(sqlite: true, prefecture: true, after: true, confirmations);
        plan.Parameters.AddWithValue("@prefecture", "13");
        plan.Parameters.AddWithValue("@before", 1000);
        plan.Parameters.AddWithValue("@take", 51);
        using var reader = plan.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        Assert.Contains(lines, l => l.Contains("ix_readiness_audit_prefecture", StringComparison.Ordinal) && l.Contains("rowid<?", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    private static string Section(string html, string marker)
    {
        var start = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {marker} on the page");
        var end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    private static async Task<List<JsonElement>> ReadAll(HttpClient client, string path, int limit)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var body = JsonDocument.Parse(await client.GetStringAsync($"{path}?limit={limit}" + (cursor is null ? string.Empty : $"&cursor={Uri.EscapeDataString(cursor)}"))).RootElement;
            var page = body.GetProperty("items").EnumerateArray().Select(e => e.Clone()).ToList();
            Assert.True(page.Count <= limit);
            Assert.Equal(limit, body.GetProperty("limit").GetInt32());
            items.AddRange(page);
            cursor = body.GetProperty("nextCursor").GetString();
            Assert.True(++pages < 20, "paging does not end");
        }
        while (cursor is not null);

        Assert.True(pages > 1, "the changes fit one page: paging not exercised");
        return items;
    }

    /// <summary>A host where eight changes were made, once for the class: seven in Tokyo, alternating between two wards, one in Osaka in the middle.</summary>
    public sealed class ChangedHost : ApiHost
    {
        /// <summary>北海道's own 6-digit 団体コード, under which the systems it runs itself are kept.</summary>
        public const string HokkaidoBody = "010006";

        private static readonly string[] Businesses = ["koseki", "resident_registry", "child_allowance", "fixed_asset_tax"];

        /// <summary>The changes written, oldest first: (municipality, business).</summary>
        public List<(string Code, string Business)> Written { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            using var chiyoda = Municipality(Chiyoda, "tanaka");
            using var chuo = Municipality(Chuo, "sato");
            using var osaka = Municipality(Osaka, "kimura");
            for (var i = 0; i < 7; i++)
            {
                var (client, code) = i % 2 == 0 ? (chiyoda, Chiyoda) : (chuo, Chuo);
                var business = Businesses[i / 2];
                await PutSystem(client, code, business, $$"""{"vendor":"ベンダ{{i}}"}""");
                Written.Add((code, business));
                if (i == 3)
                {
                    await PutSystem(osaka, Osaka, "koseki", """{"vendor":"大阪ベンダ"}""");
                    Written.Add((Osaka, "koseki"));
                }

                if (i == 5)
                {
                    // A system 北海道 runs itself, kept under its own 団体コード: part of its area's changes and the nation's.
                    using var hokkaido = Client(Token(Role.Prefecture, "01", "pref-01"));
                    using var get = await hokkaido.GetAsync(new Uri("/api/v1/prefectures/01/systems/child_rearing_allowance", UriKind.Relative));
                    using var put = Request(HttpMethod.Put, "/api/v1/prefectures/01/systems/child_rearing_allowance", """{"phase":"fit_gap","vendor":"道庁ベンダ"}""",
                        long.Parse(get.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture));
                    using var answer = await hokkaido.SendAsync(put);
                    Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
                    Written.Add((HokkaidoBody, "child_rearing_allowance"));
                }
            }
        }
    }
}

using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Catalog;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A report that changes nothing is a confirmation, one audit entry per target it names: a full report's 67 (20 systems
/// and 47 checklist items). In the area feeds those 67 pushed every real change off 「最近の変更」, the first page of
/// /prefectures/{p}/changes and /changes, and the API's first page (a breaker's finding). Now a confirming report is one
/// item there (確認済み 67件, linked to the municipality's history, which keeps every entry), and ?confirmed=
/// (grouped, each, exclude, only) chooses on the pages, the CSVs and the API, with the cursor paging each exactly. Real host.
/// </summary>
public sealed partial class ConfirmationsInAreaFeedsTests(ConfirmationsInAreaFeedsTests.ConfirmedHost host) : IClassFixture<ConfirmationsInAreaFeedsTests.ConfirmedHost>
{
    private static readonly int FullReport = ReadinessCatalog.Instance.BusinessSystems.Count + ReadinessCatalog.Instance.SecurityItems.Count;

    [Fact]
    public async Task After_a_confirming_full_report_the_real_change_before_it_is_on_the_first_page_of_every_area_feed()
    {
        Assert.Equal(67, FullReport);
        using var national = host.National();
        foreach (var feed in new[] { "/api/v1/prefectures/13/changes", "/api/v1/nation/changes" })
        {
            foreach (var limit in new[] { 2, 20, 50 })
            {
                var items = (await ApiHost.Json(await national.GetAsync($"{feed}?limit={limit}"))).GetProperty("items").EnumerateArray().ToList();
                Assert.Contains(items, i => i.GetProperty("municipalityCode").GetString() == ApiHost.Chuo); // the fault: 67 confirmations filled the page
                var group = items[0];
                Assert.Equal(ApiHost.Chiyoda, group.GetProperty("municipalityCode").GetString());
                Assert.True(group.GetProperty("confirmed").GetBoolean());
                Assert.Equal(FullReport, group.GetProperty("confirmedCount").GetInt32());
                Assert.Equal(JsonValueKind.Null, group.GetProperty("target").ValueKind);
                Assert.Equal(host.ConfirmingVersion, group.GetProperty("version").GetInt64());
                var real = items[1];
                Assert.Equal((ApiHost.Chuo, "system:koseki", false), (real.GetProperty("municipalityCode").GetString(), real.GetProperty("target").GetString(), real.GetProperty("confirmed").GetBoolean()));
                Assert.Equal(JsonValueKind.Null, real.GetProperty("confirmedCount").ValueKind);
            }
        }

        // The municipality's own history keeps every entry of the confirmation.
        var history = await ApiHost.Json(await national.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}/history?limit=200"));
        Assert.Equal(FullReport, history.GetProperty("items").EnumerateArray().Count(i => i.GetProperty("version").GetInt64() == host.ConfirmingVersion && i.GetProperty("confirmed").GetBoolean()));

        // The pages: the panel of the prefecture page and the overview, the changes pages. One row says 確認済み 67件 and
        // links to the history; the real change is there.
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var (path, marker) in new[] { ("/prefectures/13", "data-area-changes=\"13\""), ("/", "data-area-changes=\"nation\""), ("/prefectures/13/changes", "data-area-changes-page"), ("/changes", "data-area-changes-page") })
        {
            foreach (var (language, words) in new[] { ("ja", $"確認済み {FullReport}件"), ("en", $"Confirmed {FullReport} items") })
            {
                var html = await GetHtmlAsync(pages, path, language);
                var rows = Rows(html[html.IndexOf(marker, StringComparison.Ordinal)..]);
                Assert.Equal($"{ApiHost.Chiyoda}|{host.ConfirmingVersion}|count={FullReport}", rows[0].Key);
                Assert.Contains($"<a href=\"/municipalities/{ApiHost.Chiyoda}/history\" data-confirmed-history>{words}</a>", rows[0].Html, StringComparison.Ordinal);
                Assert.Equal($"{ApiHost.Chuo}|{host.RealVersion}|system:koseki", rows[1].Key);
            }
        }

        // The CSVs: the confirming report is one row, with the count of its entries in confirmed_count (then at_jst, added since, last).
        foreach (var csvPath in new[] { "/api/v1/prefectures/13/changes.csv", "/api/v1/nation/changes.csv", "/prefectures/13/changes.csv", "/changes.csv" })
        {
            var client = csvPath.StartsWith("/api", StringComparison.Ordinal) ? national : pages;
            var rows = AuditForgingTests.ParseCsv((await client.GetStringAsync(csvPath)).TrimStart('\uFEFF'));
            Assert.Equal(["confirmed_count", "at_jst"], rows[0][^2..]);
            var (version, target, confirmed) = (rows[0].IndexOf("version"), rows[0].IndexOf("target"), rows[0].IndexOf("confirmed"));
            var group = Assert.Single(rows, r => r[0] == ApiHost.Chiyoda && r[version] == $"{host.ConfirmingVersion}");
            Assert.Equal(("", "true", $"{FullReport}"), (group[target], group[confirmed], group[^2]));
            Assert.Equal($"{ApiHost.Chuo}|system:koseki", $"{rows[2][0]}|{rows[2][target]}");
            Assert.Equal("", rows[2][^2]);
        }
    }

    [Fact]
    public async Task The_confirmed_filter_chooses_on_the_api_the_csv_and_the_pages()
    {
        using var national = host.National();
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var each = await WalkApiAsync(national, "/api/v1/prefectures/13/changes", "each", 200);
        Assert.Equal((FullReport * 2) + 3, each.Count); // two full reports (one confirming), 中央区's change, 港区's change and its confirmation
        foreach (var (value, expected) in new[]
        {
            ("exclude", each.Where(i => !i.Confirmed).Select(i => i.Key).ToList()),
            ("only", [$"{ApiHost.Chiyoda}|{host.ConfirmingVersion}|count={FullReport}", $"{ConfirmedHost.Minato}|{host.MinatoConfirmingVersion}|count=1"]),
            ("each", [.. each.Select(i => i.Key)]),
        })
        {
            Assert.Equal(expected, (await WalkApiAsync(national, "/api/v1/prefectures/13/changes", value, 200)).Select(i => i.Key).ToList());
            var csv = AuditForgingTests.ParseCsv((await national.GetStringAsync($"/api/v1/prefectures/13/changes.csv?confirmed={value}")).TrimStart('\uFEFF'));
            Assert.Equal(expected, csv.Skip(1).Select(r => CsvKey(csv[0], r)).ToList());
            var pageCsv = AuditForgingTests.ParseCsv((await pages.GetStringAsync($"/prefectures/13/changes.csv?confirmed={value}")).TrimStart('\uFEFF'));
            Assert.Equal(expected, pageCsv.Skip(1).Select(r => CsvKey(pageCsv[0], r)).ToList());
            Assert.Equal(expected, await WalkPagesAsync(pages, $"/prefectures/13/changes?confirmed={value}"));
        }

        // The API answers which view it gave.
        Assert.Equal("grouped", (await ApiHost.Json(await national.GetAsync("/api/v1/nation/changes"))).GetProperty("confirmed").GetString());
        Assert.Equal("exclude", (await ApiHost.Json(await national.GetAsync("/api/v1/nation/changes?confirmed=exclude"))).GetProperty("confirmed").GetString());

        // The page's filter offers the four choices, in both languages, the one shown selected, and its links keep it.
        var html = await GetHtmlAsync(pages, "/prefectures/13/changes?confirmed=exclude", "ja");
        Assert.Contains("<select id=\"confirmed-filter\" name=\"confirmed\">", html, StringComparison.Ordinal);
        Assert.Matches("<option value=\"exclude\" selected[^>]*>表示しない（変更だけ）</option>", html);
        Assert.Contains("href=\"/prefectures/13/changes.csv?confirmed=exclude\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/api/v1/prefectures/13/changes?confirmed=exclude\"", html, StringComparison.Ordinal);
        Assert.Contains("One row per report", await GetHtmlAsync(pages, "/changes", "en"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/prefectures/13/changes?confirmed=maybe")]
    [InlineData("/api/v1/nation/changes?confirmed=Exclude")]
    [InlineData("/api/v1/prefectures/13/changes.csv?confirmed=all")]
    [InlineData("/api/v1/nation/changes.csv?confirmed=1")]
    public async Task A_confirmed_value_outside_its_set_is_400_naming_it_in_both_languages(string path)
    {
        using var national = host.National();
        using var response = await national.GetAsync(new Uri(path, UriKind.Relative));
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "confirmed");
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("unknown_value", error.GetProperty("code").GetString());
        Assert.Contains("grouped", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("exclude", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_confirmed_is_the_default_on_the_api_the_csv_and_the_pages_and_the_description_says_so()
    {
        // An empty value is absent everywhere (the API's rule, the pages' rule): the page refused it while the API gave
        // the default (a breaker's finding).
        using var national = host.National();
        var api = await ApiHost.Json(await national.GetAsync("/api/v1/nation/changes?confirmed="));
        Assert.Equal("grouped", api.GetProperty("confirmed").GetString());
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var path in new[] { "/changes?confirmed=", "/prefectures/13/changes?confirmed=" })
        {
            var html = await GetHtmlAsync(pages, path, "ja");
            Assert.Contains($"確認済み {FullReport}件", html, StringComparison.Ordinal);
        }

        using var csv = await pages.GetAsync("/changes.csv?confirmed=");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);

        // The description: the default declared, and the prefecture's own systems included (the server includes them).
        var document = await ApiHost.Json(await national.GetAsync("/openapi/v1.json"));
        foreach (var path in new[] { "/api/v1/prefectures/{prefCode}/changes", "/api/v1/nation/changes" })
        {
            var operation = document.GetProperty("paths").GetProperty(path).GetProperty("get");
            var confirmed = operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "confirmed");
            Assert.Equal("grouped", confirmed.GetProperty("schema").GetProperty("default").GetString());
            Assert.DoesNotContain("runs itself are not included", operation.GetProperty("description").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_confirmed_value_outside_its_set_is_a_400_page_saying_so()
    {
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/changes?confirmed=maybe");
        request.Headers.Add("Cookie", "readiness-lang=ja");
        using var response = await pages.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("confirmed に「maybe」は指定できません", html, StringComparison.Ordinal);
        Assert.DoesNotContain("history-table", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("grouped", 1)]
    [InlineData("grouped", 2)]
    [InlineData("grouped", 7)]
    [InlineData("each", 5)]
    [InlineData("exclude", 3)]
    [InlineData("only", 1)]
    public async Task Paging_walks_every_view_with_no_item_skipped_or_repeated(string confirmed, int limit)
    {
        using var national = host.National();
        var each = await WalkApiAsync(national, "/api/v1/nation/changes", "each", 200);

        // What the view should hold, from the whole trail: a report's confirmations (one municipality, one version) once,
        // at the place of its smallest confirmed target; its changes, if any, each at its own place.
        var expected = new List<string>();
        foreach (var item in each)
        {
            var group = each.Where(i => i.Code == item.Code && i.Version == item.Version && i.Confirmed).ToList();
            var grouped = $"{item.Code}|{item.Version}|count={group.Count}";
            var key = confirmed == "each" || !item.Confirmed ? item.Key : grouped;
            if ((confirmed == "exclude" && item.Confirmed) || (confirmed == "only" && !item.Confirmed)
                || (key == grouped && item.Key != group.Select(i => i.Key).Min(StringComparer.Ordinal)))
            {
                continue;
            }

            expected.Add(key);
        }

        var walked = await WalkApiAsync(national, "/api/v1/nation/changes", confirmed, limit);
        Assert.Equal(expected, walked.Select(i => i.Key).ToList());
        Assert.Equal(walked.Count, walked.Select(i => i.Key).Distinct().Count());
    }

    [Fact]
    public async Task The_changes_page_walks_its_pages_of_50_with_the_group_once()
    {
        using var national = host.National();
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var api = (await WalkApiAsync(national, "/api/v1/prefectures/13/changes", null, 200)).Select(i => i.Key).ToList();
        Assert.True(api.Count > 50, "one page: paging not exercised");
        Assert.Equal(api, await WalkPagesAsync(pages, "/prefectures/13/changes"));
    }

    [Fact]
    public async Task A_report_that_changes_3_of_67_targets_shows_its_3_changes_and_its_64_confirmations_as_one_item()
    {
        // The trail keeps all 67 (a breaker's finding: a changing report recorded its 3 changes only, so nothing said
        // that it had confirmed the other 64).
        using var national = host.National();
        var history = (await ApiHost.Json(await national.GetAsync($"/api/v1/municipalities/{ApiHost.Osaka}/history?limit=200"))).GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("version").GetInt64() == host.MixedVersion).ToList();
        Assert.Equal(FullReport, history.Count);
        Assert.Equal(host.MixedChanged.Order(StringComparer.Ordinal), history.Where(i => !i.GetProperty("confirmed").GetBoolean()).Select(i => i.GetProperty("target").GetString()).Order(StringComparer.Ordinal));
        Assert.All(history, i => Assert.Equal("mixed@city.osaka", i.GetProperty("subject").GetString()));

        var changes = host.MixedChanged.Select(t => $"{ApiHost.Osaka}|{host.MixedVersion}|{t}").Order(StringComparer.Ordinal).ToList();
        var group = $"{ApiHost.Osaka}|{host.MixedVersion}|count={FullReport - 3}";
        foreach (var (value, expected) in new[] { ("grouped", [.. changes, group]), ("exclude", changes), ("only", [group]), ("each", null as List<string>) }.Select(v => (v.Item1, v.Item2?.Order(StringComparer.Ordinal).ToList())))
        {
            var items = (await WalkApiAsync(national, "/api/v1/prefectures/27/changes", value, 200)).Where(i => i.Version == host.MixedVersion && i.Code == ApiHost.Osaka).Select(i => i.Key).ToList();
            if (expected is null)
            {
                Assert.Equal(FullReport, items.Count);
                continue;
            }

            Assert.Equal(expected, items.Order(StringComparer.Ordinal).ToList());
            var csv = AuditForgingTests.ParseCsv((await national.GetStringAsync($"/api/v1/prefectures/27/changes.csv?confirmed={value}")).TrimStart('\uFEFF'));
            Assert.Equal(expected, csv.Skip(1).Select(r => CsvKey(csv[0], r)).Where(k => k.StartsWith($"{ApiHost.Osaka}|{host.MixedVersion}|", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList());
        }

        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var rows = (await WalkPagesAsync(pages, "/prefectures/27/changes")).Where(k => k.StartsWith($"{ApiHost.Osaka}|{host.MixedVersion}|", StringComparison.Ordinal));
        Assert.Equal(changes.Append(group).Order(StringComparer.Ordinal), rows.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_grouped_confirmation_of_one_target_names_it_in_the_api_the_csv_and_the_pages()
    {
        // 「確認済み 1件」 did not say what (a breaker's finding).
        using var national = host.National();
        var items = (await ApiHost.Json(await national.GetAsync("/api/v1/prefectures/13/changes?confirmed=only"))).GetProperty("items").EnumerateArray().ToList();
        var one = Assert.Single(items, i => i.GetProperty("municipalityCode").GetString() == ConfirmedHost.Minato);
        Assert.Equal((1, "system:koseki"), (one.GetProperty("confirmedCount").GetInt32(), one.GetProperty("target").GetString()));
        Assert.Equal(JsonValueKind.Null, one.GetProperty("after").ValueKind);
        var many = Assert.Single(items, i => i.GetProperty("municipalityCode").GetString() == ApiHost.Chiyoda);
        Assert.Equal(JsonValueKind.Null, many.GetProperty("target").ValueKind);

        foreach (var path in new[] { "/api/v1/prefectures/13/changes.csv", "/api/v1/nation/changes.csv" })
        {
            var csv = AuditForgingTests.ParseCsv((await national.GetStringAsync(path)).TrimStart('\uFEFF'));
            var row = Assert.Single(csv, r => r[0] == ConfirmedHost.Minato && r[csv[0].IndexOf("confirmed_count")] == "1");
            Assert.Equal("system:koseki", row[csv[0].IndexOf("target")]);
        }

        var koseki = ReadinessCatalog.Instance.BusinessSystems.Single(b => b.Id == "koseki");
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var (language, count, name) in new[] { ("ja", "確認済み 1件", koseki.NameJa), ("en", "Confirmed 1 item", koseki.NameEn) })
        {
            var html = await GetHtmlAsync(pages, "/prefectures/13/changes?confirmed=only", language);
            var row = WebUtility.HtmlDecode(Assert.Single(Rows(html), r => r.Key.StartsWith(ConfirmedHost.Minato + "|", StringComparison.Ordinal)).Html);
            Assert.Contains($"{count}</a>", row, StringComparison.Ordinal);
            Assert.Contains($"<span data-confirmed-target=\"system:koseki\">{name}</span>", row, StringComparison.Ordinal);
        }
    }

    private sealed record Item(string Code, long Version, string Key, bool Confirmed);

    private static async Task<List<Item>> WalkApiAsync(HttpClient client, string path, string? confirmed, int limit)
    {
        var items = new List<Item>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var query = $"?limit={limit}" + (confirmed is null ? "" : $"&confirmed={confirmed}") + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            using var response = await client.GetAsync(new Uri(path + query, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var body = await ApiHost.Json(response);
            var page = body.GetProperty("items").EnumerateArray().ToList();
            Assert.True(page.Count <= limit);
            foreach (var e in page)
            {
                var (code, version) = (e.GetProperty("municipalityCode").GetString()!, e.GetProperty("version").GetInt64());
                var count = e.GetProperty("confirmedCount");
                var key = count.ValueKind == JsonValueKind.Null ? $"{code}|{version}|{e.GetProperty("target").GetString()}" : $"{code}|{version}|count={count.GetInt32()}";
                items.Add(new Item(code, version, key, e.GetProperty("confirmed").GetBoolean()));
            }

            cursor = body.GetProperty("nextCursor").GetString();
            Assert.True(++pages < 500, "paging does not end");
        }
        while (cursor is not null);
        return items;
    }

    private static string CsvKey(List<string> header, List<string> row)
    {
        var count = row[header.IndexOf("confirmed_count")];
        return $"{row[0]}|{row[header.IndexOf("version")]}|" + (count.Length == 0 ? row[header.IndexOf("target")] : $"count={count}");
    }

    /// <summary>Every row of the changes page from <paramref name="path"/>, following 次へ to the end.</summary>
    private static async Task<List<string>> WalkPagesAsync(HttpClient pages, string path)
    {
        var keys = new List<string>();
        string? next = path;
        for (var n = 0; next is not null; n++)
        {
            Assert.True(n < 50, "paging does not end");
            var html = await GetHtmlAsync(pages, next, "ja");
            keys.AddRange(Rows(html).Select(r => r.Key));
            var link = NextLink().Match(html);
            next = link.Success ? WebUtility.HtmlDecode(link.Groups[1].Value) : null;
        }

        return keys;
    }

    private static async Task<string> GetHtmlAsync(HttpClient client, string path, string language)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", $"readiness-lang={language}");
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The rows of the first change table in <paramref name="html"/>: (municipality|version|target or count=N, the row's HTML).</summary>
    private static List<(string Key, string Html)> Rows(string html)
    {
        var start = html.IndexOf("history-table", StringComparison.Ordinal);
        Assert.True(start >= 0, "no change table");
        var table = Regex.Replace(html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)], @">\s+<", "><");
        return [.. Row().Matches(table).Select(m =>
        {
            var key = m.Groups["target"].Success ? WebUtility.HtmlDecode(m.Groups["target"].Value) : $"count={m.Groups["count"].Value}";
            return ($"{m.Groups["code"].Value}|{m.Groups["version"].Value}|{key}", m.Value);
        })];
    }

    [GeneratedRegex("<tr data-version=\"(?<version>\\d+)\"(?: data-target=\"(?<target>[^\"]*)\")?(?: data-confirmed-count=\"(?<count>\\d+)\")?><td data-code=\"(?<code>\\d+)\".*?</tr>")]
    private static partial Regex Row();

    [GeneratedRegex("rel=\"next\" href=\"([^\"]+)\"")]
    private static partial Regex NextLink();

    /// <summary>
    /// A host where, oldest first: 大阪市 made a full report and then the same report changing 3 targets, 港区 changed a system and confirmed it (a one-entry confirmation), 千代田区 made a full
    /// report of 67 real changes, 中央区 changed a system, and 千代田区 sent the same full report again (67 confirmations).
    /// </summary>
    public sealed class ConfirmedHost : ApiHost
    {
        public const string Minato = "131032";

        public long RealVersion { get; private set; }

        public long MinatoConfirmingVersion { get; private set; }

        public long ConfirmingVersion { get; private set; }

        /// <summary>大阪市's second full report, which changed the 3 targets of <see cref="MixedChanged"/> and confirmed the other 64.</summary>
        public long MixedVersion { get; private set; }

        public IReadOnlyList<string> MixedChanged { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var catalog = ReadinessCatalog.Instance;
            var body = JsonSerializer.Serialize(new
            {
                systems = catalog.BusinessSystems.Select(b => new { businessId = b.Id, vendor = "確認試験ベンダ" }),
                security = catalog.SecurityItems.Select(i => new { itemId = i.Id, status = "implemented" }),
            });
            // 大阪市: a full report, then the same report with 3 targets changed (2 vendors, 1 checklist status).
            using var osaka = Municipality(Osaka, "mixed@city.osaka");
            await ReportAsync(osaka, Osaka, body, "osaka-1");
            MixedChanged = ["security:" + catalog.SecurityItems[4].Id, "system:" + catalog.BusinessSystems[2].Id, "system:" + catalog.BusinessSystems[7].Id];
            var mixed = JsonSerializer.Serialize(new
            {
                systems = catalog.BusinessSystems.Select(b => new { businessId = b.Id, vendor = MixedChanged.Contains("system:" + b.Id) ? "新ベンダ" : "確認試験ベンダ" }),
                security = catalog.SecurityItems.Select(i => new { itemId = i.Id, status = MixedChanged.Contains("security:" + i.Id) ? "partial" : "implemented" }),
            });
            MixedVersion = await ReportAsync(osaka, Osaka, mixed, "osaka-2");

            using var minato = Municipality(Minato, "one@city.minato");
            await PutSystem(minato, Minato, "koseki", """{"vendor":"港ベンダ"}""");
            MinatoConfirmingVersion = (await PutSystem(minato, Minato, "koseki", """{"vendor":"港ベンダ"}""")).GetProperty("version").GetInt64();

            using var chiyoda = Municipality(Chiyoda, "full@city.chiyoda");
            await ReportAsync(chiyoda, Chiyoda, body, "full-1");

            using var chuo = Municipality(Chuo, "real@city.chuo");
            RealVersion = (await PutSystem(chuo, Chuo, "koseki", """{"vendor":"中央ベンダ"}""")).GetProperty("version").GetInt64();

            ConfirmingVersion = await ReportAsync(chiyoda, Chiyoda, body, "full-2");
        }

        private static async Task<long> ReportAsync(HttpClient client, string code, string body, string key)
        {
            using var report = await client.SendAsync(Request(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports", body, idempotencyKey: key, anyVersion: true));
            var text = await report.Content.ReadAsStringAsync();
            Assert.True(report.StatusCode == HttpStatusCode.OK, text);
            return JsonDocument.Parse(text).RootElement.GetProperty("version").GetInt64();
        }
    }
}

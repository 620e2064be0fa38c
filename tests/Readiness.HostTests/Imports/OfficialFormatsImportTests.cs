using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Testing;
using Xunit.Abstractions;
using static Readiness.HostTests.Imports.OfficialImportTests;

namespace Readiness.HostTests.Imports;

/// <summary>
/// MIC's step detail (34,820 rows) and the Digital Agency's designation list, generated here in their published
/// layouts with their quirks, and MIC's tally as Shift_JIS CSV saved by Excel, imported through the real API of the
/// embedded host: upload → preview → apply → the nation equals a recomputation from every grain; the step states are
/// stored and the phases follow the documented rule; a newer self-report is kept; the same file again changes nothing;
/// the prefecture rows of the designation list are recorded; bad files are refused with nothing applied.
/// </summary>
public sealed class OfficialFormatsImportTests(ITestOutputHelper output)
{
    private const string SelfReporter = "131016";
    private const string AllNotApplicable = "012025"; // 室蘭市: 生活保護 all 対象外 in the step detail
    private const string HiddenMunicipality = "011002";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The 40 step cells of a municipality's business, one step further than its baseline, done out of order (the
    /// first step left 作業中 when there are later ones done), with 対象外 and blanks (未着手) mixed in.
    /// </summary>
    internal static string?[] Steps(string code, int business)
    {
        var done = Math.Min(40, (int)(ReadinessCatalog.Instance.BaselineSteps[code][business] * 40) + 1);
        var cells = new string?[40];
        for (var i = 0; i < 40; i++)
        {
            cells[i] = i < done ? (i % 7 == 3 ? "対象外" : "完了済み") : i == done ? "作業中" : (i % 2 == 0 ? null : "未着手");
        }

        if (done is > 1 and < 40)
        {
            // Not in order: step 1 still being worked on, one step further along done instead.
            (cells[0], cells[done]) = ("作業中", "完了済み");
        }

        if (code == AllNotApplicable && ReadinessCatalog.Instance.BusinessSystems[business].Id == "public_assistance")
        {
            Array.Fill(cells, "対象外");
        }

        return cells;
    }

    internal static byte[] StepDetailWorkbook(string asOfTitle = "令和8年2月28日時点", Func<int, bool>? includeBusiness = null)
    {
        var catalog = ReadinessCatalog.Instance;
        IEnumerable<(string, string, string, string?[], bool)> Rows()
        {
            foreach (var m in catalog.Municipalities)
            {
                var prefecture = catalog.PrefecturesByCode[m.PrefectureCode].Name;
                for (var b = 0; b < catalog.BusinessSystems.Count; b++)
                {
                    if (includeBusiness?.Invoke(b) == false)
                    {
                        continue;
                    }

                    yield return (prefecture, m.Name.Replace('ケ', 'ヶ'), b % 2 == 0 ? catalog.BusinessSystems[b].SoumuLabel : catalog.BusinessSystems[b].NameJa,
                        Steps(m.Code, b), m.Code == HiddenMunicipality && b == 0);
                }

                if (m.Code == "011002")
                {
                    for (var b = 0; b < catalog.BusinessSystems.Count; b++)
                    {
                        yield return ("北海道", "架空村", catalog.BusinessSystems[b].SoumuLabel, new string?[40], false);
                    }
                }
            }
        }

        // The step columns in another order than 1..40: mapped by their header, never by position.
        var order = Enumerable.Range(1, 40).Reverse().ToList();
        return OfficialWorkbooks.MicStepDetail("令和8年2月_ステップ別", asOfTitle, order, Rows());
    }

    [Fact]
    public async Task Step_detail_34820_rows_preview_apply_stores_steps_phases_follow_and_nation_equals_a_recomputation()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(Role.National, subject: "steps@soumu.go.jp"));
        await WaitForNationAsync(host);
        await OpenImportsListAsync(http);
        var reported = await host.Grains.GetGrain<IMunicipalityGrain>(SelfReporter).ApplyAsync(new ChangeRequest
        {
            RequestId = "self-report-steps",
            Actor = new Actor("tanaka@city.chiyoda", Role.Municipality, SelfReporter),
            Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.LegacyDecommissioned }],
        });
        Assert.Equal(ChangeStatus.Accepted, reported.Status);

        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var file = StepDetailWorkbook();
        var generateMs = clock.ElapsedMilliseconds;
        GC.Collect();
        var uploadMemory = new MemorySampler();
        clock.Restart();
        using var upload = await PostFileAsync(http, file, "ステップ別進捗.xlsx");
        var uploadMs = clock.ElapsedMilliseconds;
        var uploadFigures = await uploadMemory.StopAsync();
        await uploadMemory.DisposeAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
        var serverTiming = string.Join(", ", upload.Headers.GetValues("Server-Timing"));
        var preview = await upload.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal(OfficialImportRecord.MicStepDetailKind, preview.GetProperty("kind").GetString());
        Assert.Equal("2026-02-28", preview.GetProperty("asOf").GetString());
        Assert.Equal(1741, preview.GetProperty("matchedRows").GetInt32());
        Assert.Equal(1, preview.GetProperty("hiddenRows").GetInt32());
        var unmatched = Assert.Single(preview.GetProperty("unmatched").EnumerateArray()); // 架空村's 20 rows: one report
        Assert.Equal("unmatched_municipality", unmatched.GetProperty("code").GetString());
        Assert.Equal("架空村", unmatched.GetProperty("municipality").GetString());
        Assert.Equal(1741, preview.GetProperty("preview").GetProperty("municipalitiesChanged").GetInt32());
        Assert.Equal(0, (await host.Grains.GetGrain<IMunicipalityGrain>("012033").GetAsync()).Version); // nothing applied yet

        var applyMemory = new MemorySampler();
        clock.Restart();
        using var apply = await http.PostAsync(new Uri($"/api/v1/imports/{preview.GetProperty("id").GetString()}/apply", UriKind.Relative), null);
        var applyMs = clock.ElapsedMilliseconds;
        var applyFigures = await applyMemory.StopAsync();
        await applyMemory.DisposeAsync();
        Assert.Equal(HttpStatusCode.OK, apply.StatusCode);
        clock.Restart();
        var nation = await WaitForRecomputationAsync(host);
        var settleMs = clock.ElapsedMilliseconds;
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"34,820-row step detail ({file.Length / 1024} KB, generated in {generateMs} ms): upload+parse+preview {uploadMs} ms (server: {serverTiming}), apply through the grains {applyMs} ms, " +
                         $"aggregates settled {settleMs} ms later; total {uploadMs + applyMs + settleMs} ms; managed heap after a full collection {memoryBefore / 1048576} → {memoryAfter / 1048576} MB; " +
                         $"upload: {uploadFigures}; apply: {applyFigures}; load average {LoadAverage()}; " +
                         $"migrated {nation.Figures.MigratedSystems}, step completion {nation.Figures.StepCompletion:P2}");

        // Each system holds the steps as written and the completion (done + 対象外) / 40; the phase follows the rule.
        var catalog = ReadinessCatalog.Instance;
        foreach (var code in new[] { "012033", HiddenMunicipality, SelfReporter, "473821" })
        {
            var record = await host.Grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
            foreach (var s in record.Systems)
            {
                var b = catalog.BusinessIndex[s.BusinessId];
                var cells = Steps(code, b);
                var expected = new string([.. cells.Select(c => StepStates.Parse(c)!.Value)]);
                Assert.Equal(expected, s.OfficialSteps);
                Assert.Equal((decimal)cells.Count(c => c is "完了済み" or "対象外") / 40, s.BaselineStepCompletion);
                if (!(code == SelfReporter && s.BusinessId == "koseki"))
                {
                    Assert.Equal(Baseline.PhaseFromSteps(s.BaselineStepCompletion!.Value, s.Designated), s.Phase);
                }
            }
        }

        Assert.Equal(MigrationPhase.LegacyDecommissioned, (await host.Grains.GetGrain<IMunicipalityGrain>(SelfReporter).GetAsync()).FindSystem("koseki")!.Phase);
        Assert.True((await host.Grains.GetGrain<IMunicipalityGrain>(AllNotApplicable).GetAsync()).FindSystem("public_assistance")!.NotApplicable);

        // The same file again: the same dataset, nothing more applied.
        using var again = await PostFileAsync(http, file, "copy.xlsx");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var reapply = await http.PostAsync(new Uri($"/api/v1/imports/{preview.GetProperty("id").GetString()}/apply", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, reapply.StatusCode);
        Assert.Equal(nation.VersionSum, (await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync()).VersionSum);

        // An older step detail (January) changes nothing: the municipalities hold February's.
        using var older = await PostFileAsync(http, StepDetailWorkbook("令和8年1月31日現在"), "old.xlsx");
        var olderId = (await older.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("id").GetString();
        using var olderApply = await http.PostAsync(new Uri($"/api/v1/imports/{olderId}/apply", UriKind.Relative), null);
        Assert.Equal(1741, (await olderApply.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("applied").GetProperty("counts").GetProperty("municipalitiesOlder").GetInt32());
        Assert.Equal(nation.VersionSum, (await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync()).VersionSum);

        // Both datasets are listed, newest first, with source, as-of, hash and who applied them.
        var list = await http.GetFromJsonAsync<JsonElement>("/api/v1/imports", Json);
        Assert.Equal(2, list.GetArrayLength());
        Assert.All(list.EnumerateArray(), l => Assert.Equal("steps@soumu.go.jp", l.GetProperty("appliedBy").GetString()));
    }

    internal static byte[] DesignationWorkbook(string title, Func<string, IReadOnlyCollection<string>> marks, bool withBadRows = true)
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.NameJa).Reverse().ToList(); // the Digital Agency's wording, another order
        var rows = new List<(object, string, string, IReadOnlyCollection<string>, bool)>();
        foreach (var p in catalog.Prefectures.Take(37))
        {
            var code = p.Code + "000";
            rows.Add((code + MunicipalityCode.CheckDigit(code), p.Name, "都道府県",
                [catalog.BusinessSystems.First(b => b.Id == "public_assistance").NameJa, catalog.BusinessSystems.First(b => b.Id == "child_rearing_allowance").NameJa], true));
        }

        foreach (var m in catalog.Municipalities)
        {
            var marked = marks(m.Code);
            if (marked.Count == 0)
            {
                continue;
            }

            var kind = OfficialWorkbooks.KindLabel(m.Kind);
            var name = catalog.PrefecturesByCode[m.PrefectureCode].Name + m.Name;
            // Hokkaido's codes as numbers: Excel dropped the leading zero.
            rows.Add((m.PrefectureCode == "01" ? (object)double.Parse(m.Code, System.Globalization.CultureInfo.InvariantCulture) : OfficialWorkbooks.FullWidth(m.Code), name, kind,
                [.. marked.Select(id => catalog.BusinessSystems.First(b => b.Id == id).NameJa)], false));
        }

        if (withBadRows)
        {
            rows.Add(("131017", "東京都千代田区", "特別区", [labels[0]], false)); // wrong check digit
            rows.Add(("131024", "東京都千代田区", "特別区", [labels[0]], false)); // code and name disagree
        }

        return OfficialWorkbooks.DesignationList(title, labels, rows);
    }

    [Fact]
    public async Task Designation_list_sets_designated_systems_records_prefecture_rows_and_refuses_bad_codes()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(Role.Admin, subject: "admin@digital.go.jp"));
        await WaitForNationAsync(host);
        var catalog = ReadinessCatalog.Instance;

        // The baseline's list, with 千代田区 newly designated for 戸籍 and one designation of 札幌市 dropped.
        var sapporoDropped = catalog.BaselineDesignations.TryGetValue("011002", out var s0) ? s0.FirstOrDefault() : null;
        IReadOnlyCollection<string> Marks(string code)
        {
            var set = catalog.BaselineDesignations.TryGetValue(code, out var d) ? new HashSet<string>(d) : [];
            if (code == SelfReporter)
            {
                set.Add("koseki");
            }

            if (code == "011002" && sapporoDropped is not null)
            {
                set.Remove(sapporoDropped);
            }

            return set;
        }

        var file = DesignationWorkbook("特定移行支援システムの該当見込み一覧（令和7年12月末時点）", Marks);
        using var upload = await PostFileAsync(http, file, "tokutei.xlsx");
        Assert.True(upload.StatusCode == HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
        var preview = await upload.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal(OfficialImportRecord.DesignationListKind, preview.GetProperty("kind").GetString());
        Assert.Equal("2025-12-31", preview.GetProperty("asOf").GetString());
        Assert.Equal(37, preview.GetProperty("prefectureRows").GetArrayLength());
        var tokyo = preview.GetProperty("prefectureRows").EnumerateArray().First(p => p.GetProperty("prefectureCode").GetString() == "13");
        Assert.Contains("public_assistance", tokyo.GetProperty("designatedBusinesses").EnumerateArray().Select(e => e.GetString()));
        var codes = preview.GetProperty("unmatched").EnumerateArray().Select(u => u.GetProperty("code").GetString()).ToList();
        Assert.Equal(["invalid_code", "unmatched_municipality"], codes);
        var changed = preview.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("municipalityCode").GetString()).ToHashSet();
        Assert.Contains(SelfReporter, changed);
        Assert.Equal(sapporoDropped is null ? 1 : 2, changed.Count);

        using var apply = await http.PostAsync(new Uri($"/api/v1/imports/{preview.GetProperty("id").GetString()}/apply", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, apply.StatusCode);
        await WaitForRecomputationAsync(host);
        var chiyoda = await host.Grains.GetGrain<IMunicipalityGrain>(SelfReporter).GetAsync();
        Assert.True(chiyoda.FindSystem("koseki")!.Designated);
        Assert.True(chiyoda.FindSystem("koseki")!.Phase < MigrationPhase.InProduction); // designated: capped at testing
        Assert.Equal(preview.GetProperty("id").GetString(), chiyoda.OfficialDesignation?.DatasetId);
        if (sapporoDropped is not null)
        {
            Assert.False((await host.Grains.GetGrain<IMunicipalityGrain>("011002").GetAsync()).FindSystem(sapporoDropped)!.Designated);
        }

        // The MIC tally of a later month still applies over it (each layer keeps its own as-of day).
        Assert.Null(chiyoda.Official);
    }

    [Fact]
    public async Task Shift_jis_csv_saved_by_excel_is_imported_and_bad_csv_is_refused_with_nothing_applied()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(Role.National));
        await WaitForNationAsync(host);
        var before = await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToList();
        List<IReadOnlyList<string?>> Table(Func<string, bool> include, bool fullWidth)
        {
            var rows = new List<IReadOnlyList<string?>> { new string?[] { "市区町村別・業務別 標準化の進捗状況" }, Array.Empty<string?>(), (string?[])["都道府県", "市区町村名", "全体", .. labels.Select(l => l + " ")] };
            foreach (var m in catalog.Municipalities.Where(m => include(m.Code)))
            {
                var steps = catalog.BaselineSteps[m.Code].Select(s => Math.Min(1m, s + 0.025m)).ToList();
                rows.Add([catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name + " ", "", .. steps.Select(s => fullWidth ? OfficialWorkbooks.FullWidth(s.ToString(System.Globalization.CultureInfo.InvariantCulture)) : s.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
            }

            return rows;
        }

        // Bad files first: nothing may be applied by any of them.
        var bad = new (byte[] File, string Name, string Code)[]
        {
            ([0x00, 0x01, 0x02, 0x03, .. new byte[100]], "令和8年2月_進捗状況.csv", "not_a_csv"),
            (OfficialWorkbooks.Csv([["都道府県", "市区町村名"], ["北海道", "札幌市"]]), "令和8年2月_進捗状況.csv", "missing_header"),
            (OfficialWorkbooks.Csv(Table(c => c.StartsWith("13", StringComparison.Ordinal), false)), "進捗.csv", "missing_as_of"),
            (new byte[Readiness.Web.Imports.OfficialWorkbook.MaxFileBytes + 1], "big.csv", "file_too_large"),
            // A quote never closed (found by a user: taken as one junk row running to the end, answered 201).
            ([.. OfficialWorkbooks.Csv(Table(c => c.StartsWith("13", StringComparison.Ordinal), false)), .. "\"東京都,千代田区,1\n"u8.ToArray()], "令和8年2月_進捗状況.csv", "not_a_csv"),
        };
        foreach (var (badFile, name, code) in bad)
        {
            using var refused = await PostFileAsync(http, badFile, name);
            Assert.True(refused.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"{code}: {(int)refused.StatusCode}");
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Json);
            Assert.Equal(code, problem.GetProperty("errors")[0].GetProperty("code").GetString());
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("errors")[0].GetProperty("messageJa").GetString()));
        }

        Assert.Equal(before.VersionSum, (await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync()).VersionSum);
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("/api/v1/imports", Json)).GetArrayLength());

        // Tokyo's rows as Shift_JIS CSV (Excel's 「CSV（コンマ区切り）」), full-width digits, trailing spaces.
        var csv = OfficialWorkbooks.Csv(Table(c => c.StartsWith("13", StringComparison.Ordinal), fullWidth: true));
        using var upload = await PostFileAsync(http, csv, "令和8年2月_進捗状況.csv");
        Assert.True(upload.StatusCode == HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());
        var preview = await upload.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal("csv (shift_jis)", preview.GetProperty("format").GetString());
        Assert.Equal(catalog.MunicipalitiesByPrefecture["13"].Count, preview.GetProperty("matchedRows").GetInt32());
        Assert.Empty(preview.GetProperty("unmatched").EnumerateArray());
        using var apply = await http.PostAsync(new Uri($"/api/v1/imports/{preview.GetProperty("id").GetString()}/apply", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, apply.StatusCode);
        await WaitForRecomputationAsync(host);
        var chiyoda = await host.Grains.GetGrain<IMunicipalityGrain>(SelfReporter).GetAsync();
        Assert.Equal(Math.Min(1m, catalog.BaselineSteps[SelfReporter][0] + 0.025m), chiyoda.Systems[0].BaselineStepCompletion);

        // The same table as UTF-8 with BOM (「CSV UTF-8」): read alike, and nothing changes again.
        var utf8 = OfficialWorkbooks.Csv(Table(c => c.StartsWith("13", StringComparison.Ordinal), fullWidth: false), utf8Bom: true);
        using var second = await PostFileAsync(http, utf8, "令和8年2月_進捗状況.csv");
        var secondPreview = await second.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal("csv (utf-8 (BOM))", secondPreview.GetProperty("format").GetString());
        Assert.Equal(0, secondPreview.GetProperty("preview").GetProperty("systemsChanged").GetInt32());
    }

    // The machine's 1-minute load average when the figures were taken (Linux), to read them by.
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}

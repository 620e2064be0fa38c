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

namespace Readiness.HostTests.Imports;

/// <summary>
/// MIC's per-municipality workbook, generated here in the official layout with its quirks (merged title rows, header
/// in MIC's wording and another order with trailing spaces, prefecture merged down, full-width digits, a hidden row, one
/// municipality that does not exist), imported through the real API of the embedded host: upload → preview → apply →
/// the nation's figures equal a recomputation from every grain; re-import changes nothing; a municipality's own newer
/// report is kept; every bad file is refused with nothing applied.
/// </summary>
public sealed class OfficialImportTests(ITestOutputHelper output)
{
    private const string SelfReporter = "131016"; // 千代田区 reports koseki itself, after the tally's month
    private const string HiddenRowMunicipality = "011002";
    private const string Sheet = "令和8年2月_進捗状況";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Every municipality one step further than the baseline (capped at 40 of 40).</summary>
    private static decimal Next(decimal baseline) => Math.Min(1m, baseline + 0.025m);

    private static (byte[] File, string[] Labels) Workbook(string sheet = Sheet, bool macro = false, Func<string[], string[]>? labels = null)
    {
        var catalog = ReadinessCatalog.Instance;
        var micLabels = catalog.BusinessSystems.Select(b => b.SoumuLabel).Reverse().ToArray(); // another order than the catalog's
        var header = labels?.Invoke(micLabels) ?? micLabels;
        var rows = new List<MicRow>();
        foreach (var m in catalog.Municipalities)
        {
            var steps = catalog.BaselineSteps[m.Code];
            var rates = catalog.BusinessSystems.Select((b, i) => (b.SoumuLabel, Next(steps[i]))).ToDictionary(x => x.SoumuLabel, x => x.Item2);
            rows.Add(new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name.Replace('ケ', 'ヶ'), rates,
                Hidden: m.Code == HiddenRowMunicipality, FullWidth: m.Code.EndsWith('3')));
            if (m.Code == "011002")
            {
                rows.Add(new MicRow("北海道", "架空村", rates)); // not a municipality: must be reported, never guessed
            }
        }

        return (OfficialWorkbooks.MicProgress(sheet, header, rows, macro), micLabels);
    }

    [Fact]
    public async Task Import_preview_apply_matches_a_recomputation_keeps_newer_self_reports_and_is_idempotent()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(Role.National, subject: "import@digital.go.jp"));
        await WaitForNationAsync(host);
        await OpenImportsListAsync(http);

        // 千代田区 reports koseki itself now (after February 2026): the import must not move its phase.
        var reported = await host.Grains.GetGrain<IMunicipalityGrain>(SelfReporter).ApplyAsync(new ChangeRequest
        {
            RequestId = "self-report-1",
            Actor = new Actor("tanaka@city.chiyoda", Role.Municipality, SelfReporter),
            Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.LegacyDecommissioned }],
        });
        Assert.Equal(ChangeStatus.Accepted, reported.Status);
        var nationBefore = await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();

        var (file, _) = Workbook();
        GC.Collect();
        var uploadMemory = new MemorySampler();
        var clock = Stopwatch.StartNew();
        using var upload = await PostFileAsync(http, file, "令和8年2月_進捗状況.xlsx");
        var uploadMs = clock.ElapsedMilliseconds;
        var uploadFigures = await uploadMemory.StopAsync();
        await uploadMemory.DisposeAsync();
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var serverTiming = string.Join(", ", upload.Headers.GetValues("Server-Timing"));
        var preview = await upload.Content.ReadFromJsonAsync<JsonElement>(Json);
        var id = preview.GetProperty("id").GetString()!;
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(file)).ToLowerInvariant(), id);
        Assert.Equal("2026-02-28", preview.GetProperty("asOf").GetString());
        Assert.Equal(1741, preview.GetProperty("matchedRows").GetInt32());
        Assert.Equal(1, preview.GetProperty("hiddenRows").GetInt32());
        var unmatched = Assert.Single(preview.GetProperty("unmatched").EnumerateArray());
        Assert.Equal("架空村", unmatched.GetProperty("municipality").GetString());
        Assert.Equal("unmatched_municipality", unmatched.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, preview.GetProperty("applied").ValueKind);
        Assert.True(preview.GetProperty("preview").GetProperty("systemsKeptSelfReported").GetInt32() >= 1);

        // The preview applied nothing.
        var untouched = await host.Grains.GetGrain<IMunicipalityGrain>("012025").GetAsync();
        Assert.Equal(0, untouched.Version);
        Assert.Equal(ReadinessCatalog.Instance.BaselineSteps["012025"][0], untouched.Systems[0].BaselineStepCompletion);

        var applyMemory = new MemorySampler();
        clock.Restart();
        using var apply = await http.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        var applyMs = clock.ElapsedMilliseconds;
        var applyFigures = await applyMemory.StopAsync();
        await applyMemory.DisposeAsync();
        Assert.Equal(HttpStatusCode.OK, apply.StatusCode);
        var applied = await apply.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal("import@digital.go.jp", applied.GetProperty("applied").GetProperty("appliedBy").GetString());
        clock.Restart();
        var nation = await WaitForRecomputationAsync(host);
        var settleMs = clock.ElapsedMilliseconds;
        output.WriteLine($"1,741-row workbook ({file.Length / 1024} KB): upload+parse+preview {uploadMs} ms (server: {serverTiming}), apply through the grains {applyMs} ms, aggregates settled {settleMs} ms later; " +
                         $"upload: {uploadFigures}; apply: {applyFigures}; load average {OfficialFormatsImportTests.LoadAverage()}; " +
                         $"migrated {nationBefore.Figures.MigratedSystems} → {nation.Figures.MigratedSystems}, step completion {nationBefore.Figures.StepCompletion:P2} → {nation.Figures.StepCompletion:P2}");

        // Every matched municipality holds the file's figures under the documented rule; the dataset is named.
        var catalog = ReadinessCatalog.Instance;
        foreach (var code in new[] { "012025", HiddenRowMunicipality, "011002", "131016", "473821" })
        {
            var record = await host.Grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
            Assert.Equal(id, record.Official?.DatasetId);
            foreach (var s in record.Systems)
            {
                var expected = Next(catalog.BaselineSteps[code][catalog.BusinessIndex[s.BusinessId]]);
                Assert.Equal(expected, s.BaselineStepCompletion);
                if (!(code == SelfReporter && s.BusinessId == "koseki"))
                {
                    Assert.Equal(Baseline.PhaseFromSteps(expected, s.Designated), s.Phase);
                }
            }
        }

        // The municipality's own later report stands; the official figure beside it is updated.
        var chiyoda = await host.Grains.GetGrain<IMunicipalityGrain>(SelfReporter).GetAsync();
        Assert.Equal(MigrationPhase.LegacyDecommissioned, chiyoda.FindSystem("koseki")!.Phase);

        // Audited as the import, by who applied it.
        var recent = await host.Grains.GetGrain<IMunicipalityGrain>("012025").GetRecentChangesAsync();
        Assert.Contains(recent, e => e.RequestId == "import:" + id && e.Actor.Subject == "import@digital.go.jp");

        // The same file again: the same dataset, and applying it again changes nothing.
        using var again = await PostFileAsync(http, file, "copy.xlsx");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("id").GetString());
        using var reapply = await http.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, reapply.StatusCode);
        var versions = await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
        Assert.Equal(nation.VersionSum, versions.VersionSum);

        // A different file with the same figures (another name in the title) applies nothing new either.
        var (sameFigures, _) = Workbook(sheet: "令和8年2月_進捗状況（再送）");
        using var resent = await PostFileAsync(http, sameFigures, "resent.xlsx");
        Assert.Equal(HttpStatusCode.Created, resent.StatusCode);
        var resentPreview = await resent.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal(0, resentPreview.GetProperty("preview").GetProperty("systemsChanged").GetInt32());
        using var resentApply = await http.PostAsync(new Uri($"/api/v1/imports/{resentPreview.GetProperty("id").GetString()}/apply", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, resentApply.StatusCode);
        Assert.Equal(nation.VersionSum, (await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync()).VersionSum);

        // An older tally (January) than the official data now held changes nothing.
        var (older, _) = Workbook(sheet: "令和8年1月_進捗状況");
        using var olderUpload = await PostFileAsync(http, older, "old.xlsx");
        var olderId = (await olderUpload.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("id").GetString();
        using var olderApply = await http.PostAsync(new Uri($"/api/v1/imports/{olderId}/apply", UriKind.Relative), null);
        var olderResult = await olderApply.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal(0, olderResult.GetProperty("applied").GetProperty("counts").GetProperty("municipalitiesChanged").GetInt32());
        Assert.Equal(nation.VersionSum, (await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync()).VersionSum);

        // The API shows both measures of the new month side by side.
        var view = await http.GetFromJsonAsync<JsonElement>("/api/v1/nation", Json);
        Assert.True(view.GetProperty("figures").GetProperty("stepCompletion").GetDouble() > 0);

        // The sources and as-of days stand next to the official figures. A municipality names the dataset its step
        // completion comes from (who applied it, when) and the designation list it still holds (the baseline's).
        var municipality = await http.GetFromJsonAsync<JsonElement>("/api/v1/municipalities/012025", Json);
        var stepSource = municipality.GetProperty("officialSources").GetProperty("stepCompletion");
        Assert.Equal(id, stepSource.GetProperty("id").GetString());
        Assert.Equal("2026-02-28", stepSource.GetProperty("asOf").GetString());
        Assert.Equal("import@digital.go.jp", stepSource.GetProperty("importedBy").GetString());
        var designationSource = municipality.GetProperty("officialSources").GetProperty("designation");
        Assert.Equal(ReadinessCatalog.DesignationSource.Id, designationSource.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, designationSource.GetProperty("importedAt").ValueKind);

        // The nation names the dataset in effect: February's first file, not the resent copy (it changed nothing) nor
        // January's (older). The ETag moves with the sources.
        // (The dashboard cache reads the sources again on its next poll after an apply.)
        var sourcesDeadline = DateTime.UtcNow.AddSeconds(10);
        while (view.GetProperty("sources")[0].GetProperty("id").GetString() != id && DateTime.UtcNow < sourcesDeadline)
        {
            await Task.Delay(100);
            view = await http.GetFromJsonAsync<JsonElement>("/api/v1/nation", Json);
        }

        var nationSources = view.GetProperty("sources");
        Assert.Equal(id, nationSources[0].GetProperty("id").GetString());
        Assert.Equal("2026-02-28", nationSources[0].GetProperty("asOf").GetString());
        Assert.Equal(ReadinessCatalog.DesignationSource.Id, nationSources[1].GetProperty("id").GetString());
        using var nationResponse = await http.GetAsync(new Uri("/api/v1/nation", UriKind.Relative));
        Assert.Contains("-" + id[..8], nationResponse.Headers.ETag!.Tag, StringComparison.Ordinal);
    }

    private static readonly (string Kind, string Code, int Status)[] BadFiles =
    [
        ("too_large", "file_too_large", 413),
        ("not_a_workbook", "not_a_workbook", 400),
        ("encrypted", "encrypted_or_legacy", 400),
        ("macro_enabled", "macro_enabled", 400),
        ("xlsm_name", "macro_enabled", 400),
        ("wrong_sheet", "wrong_sheet", 400),
        ("tally_without_month", "missing_as_of", 400),
        ("missing_header", "missing_header", 400),
        ("zip_bomb", "zip_bomb", 413),
        ("external_links", "external_links", 400),
        ("known_file_xlsm_name", "macro_enabled", 400),
        ("known_file_other_kind", "kind_mismatch", 400),
        ("new_file_other_kind", "kind_mismatch", 400),
        ("future_as_of", "future_as_of", 400),
        ("no_rows", "no_rows", 400),
        ("name_reordered", "invalid_file_name", 400),
        ("name_with_a_line_break", "invalid_file_name", 400),
        ("name_too_long", "invalid_file_name", 400),
    ];

    [Fact]
    public async Task Every_bad_file_is_refused_with_a_problem_and_nothing_is_applied_and_only_national_or_admin_may_import()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(Role.Admin));
        await WaitForNationAsync(host);
        var before = await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();

        // A file already uploaded (stored, not applied) is answered from its hash only once its name and kind pass.
        var known = Workbook().File;
        using (var upload = await PostFileAsync(http, known, "progress.xlsx"))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }

        foreach (var (kind, code, status) in BadFiles)
        {
            var askedKind = kind.EndsWith("_other_kind", StringComparison.Ordinal) ? OfficialImportRecord.DesignationListKind : null;
            var (file, name) = kind switch
            {
                "too_large" => (new byte[Readiness.Web.Imports.OfficialWorkbook.MaxFileBytes + 1], "big.xlsx"),
                "not_a_workbook" => ("都道府県,市区町村\n北海道,札幌市\n"u8.ToArray(), "progress.xlsx"),
                "encrypted" => ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, .. new byte[4096]], "protected.xlsx"),
                "macro_enabled" => (Workbook(macro: true).File, "progress.xlsx"),
                "xlsm_name" => (Workbook().File, "progress.xlsm"),
                // No official table: a sheet without the month in its name and with too few of the tally's businesses to show
                // its kind (a header missing only one is the tally, refused naming the column: OfficialFileNameTests).
                "wrong_sheet" => (Workbook(sheet: "Sheet1", labels: l => [.. l.Take(5)]).File, "progress.xlsx"),
                // The tally's header, but neither the sheet's name nor the title rows say its month.
                "tally_without_month" => (Workbook(sheet: "Sheet1").File, "progress.xlsx"),
                "missing_header" => (Workbook(labels: l => [.. l.Where(x => x != "戸籍附票")]).File, "progress.xlsx"),
                "zip_bomb" => (ZipWith("xl/workbook.xml", new byte[50 * 1024 * 1024]), "bomb.xlsx"),
                "external_links" => (AddEntry(Workbook().File, "xl/externalLinks/externalLink1.xml", "<externalLink/>"u8.ToArray()), "links.xlsx"),
                "known_file_xlsm_name" => (known, "progress.xlsm"),
                "known_file_other_kind" => (known, "progress.xlsx"),
                "new_file_other_kind" => (Workbook(labels: l => [.. l.Reverse()]).File, "other.xlsx"),
                "future_as_of" => (Workbook(sheet: "令和20年3月_進捗状況").File, "future.xlsx"),
                "no_rows" => (System.Text.Encoding.UTF8.GetBytes(
                    "都道府県,市区町村," + string.Join(',', ReadinessCatalog.Instance.BusinessSystems.Select(b => b.SoumuLabel)) + "\n" +
                    "東京都,架空町," + string.Join(',', Enumerable.Repeat("1", 20)) + "\n"), "令和8年2月_進捗状況.csv"),
                "name_reordered" => (Workbook().File, "進捗状況\u202Exslx.exe"), // shows as 進捗状況exe.xlsx
                "name_with_a_line_break" => (Workbook().File, "進捗\n状況.xlsx"),
                "name_too_long" => (Workbook().File, new string('進', 300) + ".xlsx"),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };

            using var response = await PostFileAsync(http, file, name, askedKind);
            Assert.True(status == (int)response.StatusCode, $"{kind}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            var error = problem.GetProperty("errors")[0];
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("messageJa").GetString()));
            if (askedKind is not null)
            {
                // Names the field and both kinds, and the sheet that holds the other table.
                Assert.Equal("kind", error.GetProperty("field").GetString());
                Assert.Contains(OfficialImportRecord.MicProgressKind, error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
                Assert.Contains(Sheet, error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            }
        }

        foreach (var token in new[] { host.Token(Role.Prefecture, "13"), host.Token(Role.Municipality, SelfReporter) })
        {
            using var other = host.CreateHttpClient();
            other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await PostFileAsync(other, Workbook().File, "progress.xlsx");
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        var after = await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
        Assert.Equal(before.VersionSum, after.VersionSum);
    }

    [Fact]
    public async Task A_file_name_sent_in_shift_jis_is_refused_naming_its_encoding_and_nothing_is_stored()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(Role.Admin));

        // The part's header written byte by byte: 進捗状況.xlsx in Shift_JIS, as an older Windows tool sends it.
        var boundary = "readiness-sjis-boundary";
        using var body = new MemoryStream();
        body.Write(System.Text.Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\""));
        body.Write(System.Text.CodePagesEncodingProvider.Instance.GetEncoding(932)!.GetBytes("進捗状況.xlsx"));
        body.Write(System.Text.Encoding.ASCII.GetBytes("\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"));
        body.Write(Workbook().File);
        body.Write(System.Text.Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n"));
        using var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");

        using var response = await http.PostAsync(new Uri("/api/v1/imports", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("errors")[0];
        Assert.Equal("file", error.GetProperty("field").GetString());
        Assert.Equal("invalid_file_name", error.GetProperty("code").GetString());
        Assert.Contains("UTF-8", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Contains("Shift_JIS", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        var listing = await http.GetFromJsonAsync<JsonElement>("/api/v1/imports", Json);
        Assert.Equal(0, listing.GetArrayLength());
    }

    internal static async Task<HttpResponseMessage> PostFileAsync(HttpClient http, byte[] file, string name, string? kind = null)
    {
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        content.Add(part, "file", name);
        if (kind is not null)
        {
            content.Add(new StringContent(kind), "kind");
        }

        return await http.PostAsync(new Uri("/api/v1/imports", UriKind.Relative), content);
    }

    private static byte[] ZipWith(string entryName, byte[] content)
    {
        using var stream = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry(entryName, System.IO.Compression.CompressionLevel.SmallestSize).Open();
            entry.Write(content);
        }

        return stream.ToArray();
    }

    private static byte[] AddEntry(byte[] workbook, string entryName, byte[] content)
    {
        using var stream = new MemoryStream();
        stream.Write(workbook);
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            using var entry = zip.CreateEntry(entryName).Open();
            entry.Write(content);
        }

        return stream.ToArray();
    }

    /// <summary>
    /// What a national user does before uploading: opens the imports list. The benchmarks time the import, not the first
    /// authenticated request of a fresh process (token validation compiled on first use: ~1.3 s on this machine).
    /// </summary>
    internal static async Task OpenImportsListAsync(HttpClient http)
    {
        using var list = await http.GetAsync(new Uri("/api/v1/imports", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    internal static async Task WaitForNationAsync(ReadinessWebHost host)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            try
            {
                var n = await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
                if (n.Figures.Municipalities == ReadinessCatalog.ExpectedMunicipalities)
                {
                    return;
                }
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "The nation did not fill within 3 minutes.");
            await Task.Delay(250);
        }
    }

    /// <summary>Waits until the nation grain's figures equal a from-scratch recomputation over every municipality's record.</summary>
    internal static async Task<NationSummary> WaitForRecomputationAsync(ReadinessWebHost host)
    {
        var catalog = ReadinessCatalog.Instance;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var records = await Task.WhenAll(catalog.Municipalities.Select(m => host.Grains.GetGrain<IMunicipalityGrain>(m.Code).GetAsync()));
            var today = ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);
            // Every municipality once and every prefecture's own prefecture-run systems once (apart in the prefectures).
            var own = await Task.WhenAll(catalog.Prefectures.Select(p => host.Grains.GetGrain<IPrefectureRunGrain>(p.Code).GetAsync()));
            var expected = Aggregation.Sum(records.Select(r => ReadinessRules.Summarize(r, today)).Concat(own.Select(o => PrefectureRunRules.Summarize(o, today))));
            var nation = await host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
            if (nation.Figures.SameAs(expected) && nation.VersionSum == records.Sum(r => r.Version) + own.Sum(o => o.Version))
            {
                return nation;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The nation ({nation.Figures.MigratedSystems} migrated, versions {nation.VersionSum}) did not reach the recomputation ({expected.MigratedSystems}).");
            await Task.Delay(500);
        }
    }
}

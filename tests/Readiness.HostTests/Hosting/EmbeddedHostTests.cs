using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Readiness.Grains;
using Readiness.Rules;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.HostTests.Hosting;

/// <summary>
/// Runs after the parallel tests, alone: it reads /metrics, and when another in-process host disposes its meters
/// the OpenTelemetry exporter drops the instruments they share by name.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EmbeddedHostCollection
{
    public const string Name = "embedded host, alone";
}

/// <summary>The embedded default as a user runs it: real Kestrel, co-hosted silo, SQLite file in a data folder.</summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class EmbeddedHostTests(ITestOutputHelper output)
{
    private static readonly Actor Staff = new("yamada@city.example.lg.jp", Role.Municipality, "131016");

    [Fact]
    public async Task First_start_loads_the_public_baseline_and_a_restart_keeps_reported_changes()
    {
        using var folder = new TempFolder();
        var steps = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "baseline", "pmo_step_completion_2026-01.csv")).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(f => (f[0], f[1]), f => decimal.Parse(f[2], CultureInfo.InvariantCulture));
        var designated = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "baseline", "designated_2025-12.csv")).Skip(1)
            .Select(l => l.Split(',')).Select(f => (f[0], f[1])).ToHashSet();
        var codes = steps.Keys.Select(k => k.Item1).Distinct().ToList();
        Assert.Equal(1741, codes.Count);

        var persist = new ChangeRequest
        {
            RequestId = "persist-1",
            Actor = Staff,
            ExpectedVersion = 0,
            Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.LegacyDecommissioned, Vendor = "架空ベンダー株式会社", Hosting = HostingKind.GovernmentCloud }],
            Security = [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = "情報セキュリティポリシー第3条" }],
        };
        long versionAfterChange;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using (var host = new ReadinessWebHost(folder.Path))
        {
            using var http = host.CreateNationalClient();
            var nation = await FirstAsync(http, "/api/v1/nation");
            output.WriteLine($"fresh start to a full nation: {started.ElapsedMilliseconds} ms");
            Assert.Equal(1741, nation.GetProperty("municipalities").GetInt32());
            Assert.Equal(8410, nation.GetProperty("figures").GetProperty("designatedSystems").GetInt32());
            Assert.Equal(8410, nation.GetProperty("figures").GetProperty("designationIncomplete").GetInt32());
            Assert.Equal(0, nation.GetProperty("figures").GetProperty("reportedMunicipalities").GetInt32());
            Assert.Equal(47, nation.GetProperty("prefectures").GetArrayLength());
            Assert.Contains("2026-01", nation.GetProperty("sources").GetRawText(), StringComparison.Ordinal);

            // Both official measures, side by side and never mixed, computed from the data files under the documented rule.
            var figures = nation.GetProperty("figures");
            var migrated = steps.Count(kv => Baseline.PhaseFromSteps(kv.Value, designated.Contains(kv.Key)) >= MigrationPhase.InProduction);
            Assert.Equal(migrated, figures.GetProperty("migratedSystems").GetInt32());
            Assert.Equal(steps.Count, figures.GetProperty("stepCompletionSystems").GetInt32());
            Assert.Equal((double)steps.Values.Average(), figures.GetProperty("stepCompletion").GetDouble(), 6);
            output.WriteLine($"fresh start: {migrated} of {figures.GetProperty("applicableSystems").GetInt32()} migrated; mean step completion {figures.GetProperty("stepCompletion").GetDouble():P1}");

            // Every municipality's state equals the two baseline files under the documented rule, nothing invented.
            var records = await Task.WhenAll(codes.Select(c => host.Grains.GetGrain<IMunicipalityGrain>(c).GetAsync()));
            foreach (var record in records)
            {
                Assert.Equal(0, record.Version);
                Assert.Equal(DataOrigin.PublicBaseline, record.Provenance.Origin);
                Assert.Null(record.LastReportedAt);
                Assert.All(record.Security, i => Assert.Equal(SecurityStatus.NotAssessed, i.Status));
                foreach (var s in record.Systems)
                {
                    var isDesignated = designated.Contains((record.Code, s.BusinessId));
                    var step = steps[(record.Code, s.BusinessId)];
                    Assert.Equal(Baseline.PhaseFromSteps(step, isDesignated), s.Phase);
                    Assert.Equal(step, s.BaselineStepCompletion);
                    Assert.Equal(isDesignated, s.Designated);
                    Assert.True(s.Vendor is null && s.PlannedGoLive is null && s.Hosting is null && s.DesignationReason is null && s.DesignationTarget is null && s.ReportedAt is null);
                    Assert.False(s.NotApplicable);
                }
            }

            var outcome = await host.Grains.GetGrain<IMunicipalityGrain>("131016").ApplyAsync(persist);
            Assert.Equal(ChangeStatus.Accepted, outcome.Status);
            versionAfterChange = outcome.Record.Version;
        }

        // Second start on the same folder: the reported change survives and the baseline is not loaded over it.
        await using (var host = new ReadinessWebHost(folder.Path))
        {
            using var http = host.CreateNationalClient();
            var response = await http.GetAsync(new Uri("/api/v1/municipalities/131016", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"\"{versionAfterChange}\"", response.Headers.ETag?.Tag);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(versionAfterChange, body.GetProperty("version").GetInt64());
            var koseki = body.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "koseki");
            Assert.Equal("legacy_decommissioned", koseki.GetProperty("phase").GetString());
            Assert.Equal("架空ベンダー株式会社", koseki.GetProperty("vendor").GetString());
            Assert.Equal("government_cloud", koseki.GetProperty("hosting").GetString());
            var item = body.GetProperty("security").EnumerateArray().Single(s => s.GetProperty("itemId").GetString() == "SEC-1-01");
            Assert.Equal("implemented", item.GetProperty("status").GetString());
            Assert.Equal("persist-1", body.GetProperty("recentChanges")[0].GetProperty("requestId").GetString());
            Assert.Equal(Staff.Subject, body.GetProperty("recentChanges")[0].GetProperty("subject").GetString());

            // The restarted grain still knows the request (read back from readiness_applied_request, not the state):
            // sent again it is replayed, not applied twice; its id with other content is refused.
            var grain = host.Grains.GetGrain<IMunicipalityGrain>("131016");
            var replay = await grain.ApplyAsync(persist);
            Assert.Equal((ChangeStatus.Replayed, versionAfterChange), (replay.Status, replay.Record.Version));
            var reused = await grain.ApplyAsync(persist with { Security = [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.NotImplemented }] });
            Assert.Equal(ChangeStatus.IdempotencyKeyReused, reused.Status);
            Assert.Equal(2, (await grain.GetRecentChangesAsync()).Length);

            // The state rewritten on every change holds the record only: no request ids, no recent changes.
            using (var db = new Microsoft.Data.Sqlite.SqliteConnection(Readiness.Hosting.SqliteSchema.ConnectionString(Path.Combine(folder.Path, Readiness.Hosting.SqliteSchema.DatabaseFileName))))
            {
                db.Open();
                using var payload = db.CreateCommand();
                payload.CommandText = "SELECT payload FROM readiness_grain_state WHERE grain_id LIKE '%131016'";
                var json = Readiness.Hosting.StatePayload.ReadJson(payload.ExecuteScalar())!.ToString();
                output.WriteLine($"stored state of 131016 after one change: {json.Length:N0} characters");
                Assert.DoesNotContain("persist-1", json, StringComparison.Ordinal);
            }

            var nation = await FirstAsync(http, "/api/v1/nation");
            Assert.Equal(versionAfterChange, nation.GetProperty("version").GetInt64());

            // Summaries are served per version: an ETag, 304 for a reader who has it, compressed once for those who ask.
            using var first = await http.GetAsync(new Uri("/api/v1/nation", UriKind.Relative));
            var etag = first.Headers.ETag!.Tag;
            Assert.StartsWith($"\"{versionAfterChange}-", etag, StringComparison.Ordinal);
            using (var again = new HttpRequestMessage(HttpMethod.Get, "/api/v1/nation"))
            {
                again.Headers.IfNoneMatch.ParseAdd(etag);
                using var notModified = await http.SendAsync(again);
                Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            }

            using (var compressed = new HttpRequestMessage(HttpMethod.Get, "/api/v1/nation"))
            {
                compressed.Headers.AcceptEncoding.ParseAdd("br");
                using var brotli = await http.SendAsync(compressed);
                Assert.Equal("br", Assert.Single(brotli.Content.Headers.ContentEncoding));
                await using var decoded = new System.IO.Compression.BrotliStream(await brotli.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
                var decompressed = await JsonSerializer.DeserializeAsync<JsonElement>(decoded);
                Assert.Equal(versionAfterChange, decompressed.GetProperty("version").GetInt64());
            }

            var next = await host.Grains.GetGrain<IMunicipalityGrain>("131016").ApplyAsync(new ChangeRequest
            {
                RequestId = "persist-2",
                Actor = Staff,
                Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.LegacyDecommissioned, Vendor = "架空ベンダー株式会社", Hosting = HostingKind.OnPremises }],
            });
            Assert.Equal(ChangeStatus.Accepted, next.Status);
            JsonElement newer;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            do
            {
                await Task.Delay(100);
                newer = await http.GetFromJsonAsync<JsonElement>("/api/v1/nation");
            }
            while (newer.GetProperty("version").GetInt64() == versionAfterChange && waited.Elapsed < TimeSpan.FromSeconds(10));
            Assert.Equal(next.Record.Version, newer.GetProperty("version").GetInt64());
            Assert.Equal(1, nation.GetProperty("figures").GetProperty("reportedMunicipalities").GetInt32());

            // An untouched municipality still shows the baseline at version 0.
            var sapporo = await host.Grains.GetGrain<IMunicipalityGrain>("011002").GetAsync();
            Assert.Equal(0, sapporo.Version);
            Assert.Equal(DataOrigin.PublicBaseline, sapporo.Provenance.Origin);
        }
    }

    [Fact]
    public async Task Read_endpoints_answer_with_problem_details_for_bad_codes_and_health_is_ready()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path, new Dictionary<string, string?> { ["Readiness:Seed"] = "Demo" });
        using var http = host.CreateNationalClient();

        var tokyo = await FirstAsync(http, "/api/v1/prefectures/13");
        Assert.Equal(62, tokyo.GetProperty("municipalities").GetInt32());
        Assert.Equal("東京都", tokyo.GetProperty("prefecture").GetProperty("name").GetString());
        var chiyoda = await http.GetFromJsonAsync<JsonElement>("/api/v1/municipalities/131016");
        Assert.Equal("synthetic", chiyoda.GetProperty("origin").GetString());
        Assert.Contains("合成データ", chiyoda.GetProperty("provenanceDescription").GetString(), StringComparison.Ordinal);

        foreach (var (path, status, field) in new[]
        {
            ("/api/v1/municipalities/131017", HttpStatusCode.BadRequest, "code"), // wrong check digit
            ("/api/v1/municipalities/13101", HttpStatusCode.BadRequest, "code"),
            ("/api/v1/municipalities/abc%27%3B--", HttpStatusCode.BadRequest, "code"),
            ("/api/v1/municipalities/016951", HttpStatusCode.NotFound, "code"), // valid check digit, a Northern-Territories village: not one of the 1,741
            ("/api/v1/prefectures/48", HttpStatusCode.BadRequest, "prefCode"), // no prefecture code is 48 (JIS X 0401: 01-47): malformed, not unknown
        })
        {
            var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(field, problem.GetProperty("errors")[0].GetProperty("field").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("readiness_municipalities_seeded", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_municipality_whose_stored_state_cannot_be_read_is_counted_and_named_not_silently_left_out()
    {
        using var folder = new TempFolder();
        await using (var host = new ReadinessWebHost(folder.Path))
        {
            using var http = host.CreateNationalClient();
            Assert.Equal(1741, (await FirstAsync(http, "/api/v1/nation")).GetProperty("municipalities").GetInt32());
            var ready = await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Contains("\"1741 municipalities\"", ready, StringComparison.Ordinal);
        }

        // The file is damaged while the server is stopped: 千代田区's stored state loses its last bytes.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection(Readiness.Hosting.SqliteSchema.ConnectionString(Path.Combine(folder.Path, Readiness.Hosting.SqliteSchema.DatabaseFileName))))
        {
            db.Open();
            using var damage = db.CreateCommand();
            damage.CommandText = "UPDATE readiness_grain_state SET payload = substr(payload, 1, length(payload) - 40) WHERE grain_id LIKE '%131016' AND state_name = 'municipality' AND typeof(payload) = 'blob'";
            Assert.Equal(1, damage.ExecuteNonQuery());
        }

        // Scheduled backups every 2 s: each must now fail (the file does not validate), and say so.
        await using (var host = new ReadinessWebHost(folder.Path, new Dictionary<string, string?> { ["Readiness:Backup:Interval"] = "00:00:02" }))
        {
            using var http = host.CreateNationalClient();
            // The figures leave it out (they cannot hold what cannot be read) ...
            Assert.Equal(1740, (await FirstAsync(http, "/api/v1/nation")).GetProperty("municipalities").GetInt32());

            // ... and readiness says so, still answering 200 (the node serves everyone else).
            using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            var body = await ready.Content.ReadAsStringAsync();
            output.WriteLine(body);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            using var health = JsonDocument.Parse(body);
            Assert.Equal("Degraded", health.RootElement.GetProperty("status").GetString());
            Assert.Contains("1740 of 1741 municipalities", body, StringComparison.Ordinal);
            // The storage check names the state that cannot be read (and says what to do).
            var storage = health.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "storage");
            Assert.Equal("Degraded", storage.GetProperty("status").GetString());
            Assert.Contains("municipality/131016/municipality", storage.GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Contains("restore it from a backup", storage.GetProperty("description").GetString(), StringComparison.Ordinal);

            // A scheduled backup of a file with a state that cannot be read fails its validation: readiness says so too.
            var waited = System.Diagnostics.Stopwatch.StartNew();
            string described;
            do
            {
                await Task.Delay(500);
                using var again = JsonDocument.Parse(await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative)));
                described = again.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "storage").GetProperty("description").GetString()!;
            }
            while (!described.Contains("The last scheduled backup failed", StringComparison.Ordinal) && waited.Elapsed < TimeSpan.FromSeconds(30));
            output.WriteLine(described);
            Assert.Contains("The last scheduled backup failed", described, StringComparison.Ordinal);
            Assert.Contains("municipality/131016/municipality", described, StringComparison.Ordinal);
            Assert.Contains("readiness_backups_failures_total", await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);

            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Contains("readiness_storage_unreadable_states_total", metrics, StringComparison.Ordinal);
            var failures = metrics.Split('\n').Where(l => l.StartsWith("readiness_reconciliations_pull_failures_total{", StringComparison.Ordinal) && l.Contains("level=\"prefecture\"", StringComparison.Ordinal)).ToList();
            Assert.True(failures.Count == 1 && double.Parse(failures[0].Split(' ')[^1], CultureInfo.InvariantCulture) >= 1, string.Join("\n", failures));

            // Whatever needs the municipality fails loudly and says why, in Japanese and English (500: asking again reads
            // the same bytes); its neighbours answer.
            using var own = host.CreateHttpClient();
            own.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.Token(Role.Municipality, "131016"));
            using var report = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/municipalities/131016/reports", UriKind.Relative))
            {
                Content = new StringContent("{\"security\":[{\"itemId\":\"SEC-1-01\",\"status\":\"partial\"}]}", System.Text.Encoding.UTF8, "application/json"),
            };
            report.Headers.Add("Idempotency-Key", "unreadable-state-report");
            report.Headers.Add("If-Match", "*");
            foreach (var (client, request) in new (HttpClient, HttpRequestMessage)[]
            {
                (http, new(HttpMethod.Get, new Uri("/api/v1/municipalities/131016", UriKind.Relative))),
                (http, new(HttpMethod.Get, new Uri("/api/v1/forecast/municipalities/131016", UriKind.Relative))),
                (own, report),
            })
            {
                using var answer = await client.SendAsync(request);
                var problem = await answer.Content.ReadAsStringAsync();
                Assert.True(answer.StatusCode == HttpStatusCode.InternalServerError, $"{request.Method} {request.RequestUri}: {(int)answer.StatusCode} {problem}");
                Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
                using var parsed = JsonDocument.Parse(problem);
                Assert.Equal("municipality/131016/municipality", parsed.RootElement.GetProperty("state").GetString());
                var error = parsed.RootElement.GetProperty("errors")[0];
                Assert.Equal(("storage", "unreadable"), (error.GetProperty("field").GetString(), error.GetProperty("code").GetString()));
                Assert.Contains("保存データ（municipality/131016/municipality）を読み取れません", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
                Assert.Contains("restore it from a backup", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
                Assert.False(answer.Headers.Contains("Retry-After"), "a retry reads the same bytes");
            }

            // A browser opening its page gets the same as a page, not JSON.
            using var page = new HttpRequestMessage(HttpMethod.Get, new Uri("/municipalities/131016", UriKind.Relative));
            page.Headers.Accept.ParseAdd("text/html");
            using var shown = await own.SendAsync(page);
            var html = WebUtility.HtmlDecode(await shown.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.InternalServerError, shown.StatusCode);
            Assert.Equal("text/html", shown.Content.Headers.ContentType?.MediaType);
            Assert.Contains("保存データ（municipality/131016/municipality）を読み取れません", html, StringComparison.Ordinal);
            Assert.Contains("<title>", html, StringComparison.Ordinal);

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/v1/municipalities/131024", UriKind.Relative))).StatusCode);
        }
    }

    /// <summary>
    /// The first summary read of a starting host: the node answers 503 Starting (Retry-After) until its summary cache
    /// holds its first picture of the nation, which on a busy machine can take longer than one request waits.
    /// </summary>
    private static async Task<JsonElement> FirstAsync(HttpClient http, string path)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || waited.Elapsed > TimeSpan.FromMinutes(4))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            }

            Assert.Equal("5", response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(CultureInfo.InvariantCulture));
            await Task.Delay(1000);
        }
    }
}

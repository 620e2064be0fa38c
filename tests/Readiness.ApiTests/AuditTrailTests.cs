using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Grains;
using Readiness.Hosting;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>The audit trail: exactly the accepted changes, with their actors, durable, append-only, paged, exportable.</summary>
public sealed class AuditTrailTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chiyoda;
    private const string Formula = "=HYPERLINK(\"http://example.invalid\",\"click\")";

    [Fact]
    public async Task After_a_scripted_sequence_the_history_holds_exactly_those_changes_with_the_right_actors()
    {
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var tanaka = host.Municipality(M, "tanaka");
        using var suzuki = host.Municipality(M, "suzuki");
        using var intruder = host.Municipality(ApiHost.Osaka, "intruder");
        using var neighbour = host.Municipality(ApiHost.Chuo, "neighbour");
        var path = $"/api/v1/municipalities/{M}";
        using var refusals = new RefusalCount(host.Services.GetRequiredService<IMeterFactory>());

        // 1. tanaka: one system.
        using var r1 = await tanaka.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/systems/child_allowance", """{"phase":"in_production","vendor":"A社","hosting":"government_cloud"}""", 0));
        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
        var request1 = r1.Headers.GetValues("X-Request-Id").Single();

        // Refused on the way: another municipality, a stale ETag, a rule, a malformed body. None is audited.
        using (var refused = await intruder.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/systems/child_allowance", """{"phase":"testing"}""", 1)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var refused = await suzuki.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/systems/koseki", """{"phase":"testing"}""", 0)))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        }

        using (var refused = await suzuki.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/systems/child_allowance", """{"phase":"not_started"}""", 1)))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        }

        using (var refused = await suzuki.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/systems/koseki", """{"phase":""", 1)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        // 2. suzuki: a report of one system and one item (one version, two entries).
        using var r2 = await suzuki.SendAsync(ApiHost.Request(HttpMethod.Post, $"{path}/reports",
            """{"systems":[{"businessId":"resident_registry","phase":"in_production","vendor":"監査社"}],"security":[{"itemId":"SEC-1-01","status":"implemented"}]}""", idempotencyKey: "audit-report-1", anyVersion: true));
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);

        // Another municipality's change is not in this history.
        await host.PutSystem(neighbour, ApiHost.Chuo, "koseki", """{"phase":"in_production"}""");

        // 3. tanaka: the item again, with evidence that looks like a spreadsheet formula.
        using var r3 = await tanaka.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/security/SEC-1-01",
            JsonSerializer.Serialize(new { status = "partial", evidence = Formula }), 2));
        Assert.Equal(HttpStatusCode.OK, r3.StatusCode);
        var request3 = r3.Headers.GetValues("X-Request-Id").Single();

        using var national = host.National();
        var history = JsonDocument.Parse(await national.GetStringAsync($"{path}/history")).RootElement;
        Assert.Equal(3, history.GetProperty("version").GetInt64());
        Assert.Equal(4, history.GetProperty("total").GetInt64());
        var items = history.GetProperty("items").EnumerateArray().ToList();
        // Before and after are objects, field → value; only the fields named here are checked.
        var expected = new (long Version, string Target, string Subject, string RequestId, (string Field, string? Value)[] Before, (string Field, string? Value)[] After)[]
        {
            (3, "security:SEC-1-01", "tanaka", request3, [("status", "implemented")], [("status", "partial"), ("evidence", Formula)]),
            (2, "security:SEC-1-01", "suzuki", "audit-report-1", [("status", "not_assessed"), ("evidence", null)], [("status", "implemented")]),
            (2, "system:resident_registry", "suzuki", "audit-report-1", [], [("phase", "in_production"), ("vendor", "監査社")]),
            (1, "system:child_allowance", "tanaka", request1, [], [("phase", "in_production"), ("vendor", "A社"), ("hosting", "government_cloud")]),
        };
        Assert.Equal(expected.Length, items.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            var (version, target, subject, requestId, before, after) = expected[i];
            var e = items[i];
            Assert.Equal(version, e.GetProperty("version").GetInt64());
            Assert.Equal(target, e.GetProperty("target").GetString());
            Assert.Equal(subject, e.GetProperty("subject").GetString());
            Assert.Equal("municipality", e.GetProperty("role").GetString());
            Assert.Equal(M, e.GetProperty("tenant").GetString());
            Assert.Equal(requestId, e.GetProperty("requestId").GetString());
            Assert.Equal("127.0.0.1", e.GetProperty("clientAddress").GetString());
            Assert.Equal(JsonValueKind.Object, e.GetProperty("after").ValueKind);
            Assert.Equal(JsonValueKind.Object, e.GetProperty("before").ValueKind);
            foreach (var (field, value) in after)
            {
                Assert.Equal(value, e.GetProperty("after").GetProperty(field).GetString());
            }

            foreach (var (field, value) in before)
            {
                Assert.Equal(value, e.GetProperty("before").GetProperty(field).GetString());
            }

            var at = e.GetProperty("at").GetDateTimeOffset();
            Assert.InRange(at, started, DateTimeOffset.UtcNow.AddSeconds(1));
            Assert.Equal(TimeSpan.Zero, at.Offset);
        }

        // Paging one by one walks the same entries, newest first, and ends.
        var paged = new List<string>();
        string? cursor = null;
        do
        {
            var page = JsonDocument.Parse(await national.GetStringAsync($"{path}/history?limit=1" + (cursor is null ? string.Empty : $"&cursor={cursor}"))).RootElement;
            paged.AddRange(page.GetProperty("items").EnumerateArray().Select(e => $"{e.GetProperty("version").GetInt64()} {e.GetProperty("target").GetString()}"));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null && paged.Count < 10);
        Assert.Equal(expected.Select(x => $"{x.Version} {x.Target}"), paged);

        // The history as CSV: BOM, header, the same four rows; the formula is neutralised.
        var csvBytes = await national.GetByteArrayAsync($"{path}/history.csv");
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, csvBytes[..3]);
        var lines = Encoding.UTF8.GetString(csvBytes, 3, csvBytes.Length - 3).TrimEnd('\r', '\n').Split("\r\n");
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("municipality_code,version,at_utc,actor_subject,actor_role,actor_tenant,target", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"{M},3,", lines[1], StringComparison.Ordinal);
        // Before and after are JSON objects, one per cell, quoted as RFC 4180 says; a cell starting with "{" is no formula.
        Assert.Contains(",\"{\"\"status\"\":\"\"partial\"\",\"\"lastReviewed\"\":null,\"\"evidence\"\":\"\"=HYPERLINK(\\\"\"http://example.invalid\\\"\",\\\"\"click\\\"\")\"\"}\",", lines[1], StringComparison.Ordinal);
        Assert.Contains(",tanaka,municipality,131016,system:child_allowance,", lines[4], StringComparison.Ordinal);

        // Durable before the reply: the rows are in the database file itself.
        await using var db = new SqliteConnection($"Data Source={Path.Combine(host.DataPath, "readiness.db")};Mode=ReadOnly");
        await db.OpenAsync();
        await using var count = db.CreateCommand();
        count.CommandText = "SELECT COUNT(*), COUNT(DISTINCT actor_subject) FROM readiness_audit WHERE municipality_code = $code";
        count.Parameters.AddWithValue("$code", M);
        await using var reader = await count.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(4, reader.GetInt64(0));
        Assert.Equal(2, reader.GetInt64(1));

        // The four refusals, and nothing else, went to the security log's counter.
        Assert.Equal(["forbidden", "invalid", "invalid", "version_conflict"], refusals.Reasons.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Entries_of_a_write_that_never_completed_stay_invisible_and_are_replaced_by_the_next_change()
    {
        const string code = ApiHost.Osaka;
        var (_, version) = await host.GetMunicipality(code);
        var totalBefore = await host.HistoryTotal(code);
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { DataPath = host.DataPath }));

        // As if the silo died after writing the audit entries and before writing the state.
        var ghost = new ChangeEntry
        {
            MunicipalityCode = code, Version = version + 1, At = DateTimeOffset.UtcNow, Actor = new Actor("ghost", Role.Municipality, code),
            RequestId = "never-acknowledged", Target = "system:koseki", Before = "phase=testing", After = "phase=legacy_decommissioned",
        };
        await audit.RecordAsync(code, version + 1, [ghost]);
        Assert.Equal(totalBefore, await host.HistoryTotal(code));

        using var client = host.Municipality(code, "osaka-staff");
        await host.PutSystem(client, code, "electoral_roll", """{"phase":"in_production","regressionReason":"audit test"}""");
        using var national = host.National();
        var history = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{code}/history")).RootElement;
        Assert.Equal(totalBefore + 1, history.GetProperty("total").GetInt64());
        var newest = history.GetProperty("items")[0];
        Assert.Equal(version + 1, newest.GetProperty("version").GetInt64());
        Assert.Equal("system:electoral_roll", newest.GetProperty("target").GetString());
        Assert.Equal("osaka-staff", newest.GetProperty("subject").GetString());
        Assert.DoesNotContain(history.GetProperty("items").EnumerateArray(), e => e.GetProperty("subject").GetString() == "ghost");
        var page = await audit.ReadAsync(code, long.MaxValue, null, 100);
        Assert.DoesNotContain(page.Entries, e => e.Actor.Subject == "ghost");
    }

    [Fact]
    public async Task Forty_rows_of_one_change_are_stored_whole_and_in_their_order()
    {
        // Written as the writer writes a change (16 to a statement while the rows share who and when, then one by one).
        const string code = ApiHost.Chuo;
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { DataPath = host.DataPath }));
        const long version = 1_000_000;
        var entries = AuditRowsRoundTrip.Entries(code, version, new DateTimeOffset(2026, 12, 1, 4, 5, 6, 789, TimeSpan.Zero));
        await audit.RecordAsync(code, version, entries);
        await AuditRowsRoundTrip.AssertReadBackAsync(audit, code, version, entries);

        // The sides are bound as UTF-8 bytes and stored as text (readable JSON for anyone querying the table), not as blobs.
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(host.DataPath, "readiness.db")};Mode=ReadOnly"))
        {
            await db.OpenAsync();
            await using var types = db.CreateCommand();
            types.CommandText = "SELECT DISTINCT typeof(before_fields) || '/' || typeof(after_fields) FROM readiness_audit WHERE version = $version ORDER BY 1";
            types.Parameters.AddWithValue("$version", version);
            var found = new List<string>();
            await using var reader = await types.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found.Add(reader.GetString(0));
            }

            Assert.Equal(["null/text", "text/text"], found);

            // Insertion order is the order of the rows' positions (the notification dispatcher reads by it).
            await using var order = db.CreateCommand();
            order.CommandText = "SELECT target FROM readiness_audit WHERE municipality_code = $code AND version = $version ORDER BY rowid";
            order.Parameters.AddWithValue("$code", code);
            order.Parameters.AddWithValue("$version", version);
            var targets = new List<string>();
            await using var rows = await order.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                targets.Add(rows.GetString(0));
            }

            Assert.Equal(entries.Select(e => e.Target), targets);
        }
    }

    [Fact]
    public async Task Without_a_known_proxy_a_forwarded_address_is_not_believed()
    {
        var newest = await host.PutForwardedAndReadNewestHistory("131041", "shinjuku-staff", "203.0.113.7"); // 東京都新宿区
        var recorded = newest.GetProperty("clientAddress").GetString()!;
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(recorded)), recorded);
    }

    [Fact]
    public async Task The_audit_table_refuses_updates()
    {
        using var client = host.Municipality(ApiHost.Chuo, "chuo-staff");
        await host.PutSystem(client, ApiHost.Chuo, "seal_registration", """{"phase":"in_production","regressionReason":"audit test"}""");
        await using var db = new SqliteConnection($"Data Source={Path.Combine(host.DataPath, "readiness.db")}");
        await db.OpenAsync();
        await using var update = db.CreateCommand();
        update.CommandText = "UPDATE readiness_audit SET actor_subject = 'someone else' WHERE municipality_code = $code";
        update.Parameters.AddWithValue("$code", ApiHost.Chuo);
        var error = await Assert.ThrowsAsync<SqliteException>(() => update.ExecuteNonQueryAsync());
        Assert.Contains("append-only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_has_one_row_per_municipality_and_business_keyed_by_the_six_digit_code()
    {
        const string code = "012025"; // 函館市
        using var hakodate = host.Municipality(code, "hakodate");
        await host.PutSystem(hakodate, code, "koseki", """{"phase":"in_production","vendor":"+cmd|' /C calc'!A0","regressionReason":"export test"}""");

        using var national = host.National();
        using var response = await national.GetAsync("/api/v1/export/municipalities.csv?prefecture=01");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).TrimEnd('\r', '\n').Split("\r\n");
        var hokkaido = Readiness.Catalog.ReadinessCatalog.Instance.MunicipalitiesByPrefecture["01"];
        Assert.Equal(1 + (hokkaido.Count * 20), lines.Length);
        Assert.All(lines.Skip(1), l => Assert.Matches("^01[0-9]{4},01,北海道,", l));
        Assert.Equal(hokkaido.Count, lines.Skip(1).Select(l => l[..6]).Distinct().Count());
        Assert.StartsWith("011002,01,北海道,札幌市,child_allowance,児童手当,", lines[1], StringComparison.Ordinal);
        var row = lines.Single(l => l.StartsWith($"{code},01,北海道,函館市,koseki,", StringComparison.Ordinal));
        Assert.Contains(",in_production,", row, StringComparison.Ordinal);
        Assert.Contains(",\"'+cmd|' /C calc'!A0\",", row, StringComparison.Ordinal); // escaped and quoted (CsvHelper's injection guard)
    }

    /// <summary>
    /// The security log's counter of this host only. Other test hosts in the process publish instruments of the same
    /// name; when one of them is disposed, the OpenTelemetry exporter drops the shared stream, so /metrics cannot be
    /// the witness here (EmbeddedHostTests checks the exposition on a host that runs alone).
    /// </summary>
    private sealed class RefusalCount : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> reasons = new();

        public RefusalCount(IMeterFactory ownFactory)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "readiness.security.refused" && ReferenceEquals(instrument.Meter.Scope, ownFactory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason")
                    {
                        reasons.Enqueue((string)tag.Value!);
                    }
                }
            });
            listener.Start();
        }

        public IReadOnlyCollection<string> Reasons => reasons.ToArray();

        public void Dispose() => listener.Dispose();
    }
}

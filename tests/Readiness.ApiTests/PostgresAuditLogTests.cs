using System.Collections.Immutable;
using Npgsql;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>The cluster-mode audit table (deploy/sql/postgresql/020-audit.sql) with the same SqlAuditLog the grains use.</summary>
public sealed class PostgresAuditLogTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly string Script = string.Join("\n", new[] { "020-audit.sql", "021-audit-fields.sql" }.Select(f => File.ReadAllText(Path.Combine(RepositoryFolder.Root, "deploy", "sql", "postgresql", f))));

    [Fact]
    public async Task Audit_log_records_reads_pages_and_replaces_incomplete_writes_on_postgresql()
    {
        var connectionString = await postgres.CreateDatabaseAsync("audit");
        await Apply(connectionString);
        await Apply(connectionString); // the script is idempotent
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString }));
        const string code = ApiHost.Chiyoda;
        var at = new DateTimeOffset(2026, 11, 25, 1, 2, 3, 456, TimeSpan.Zero);
        var actor = new Actor("tanaka", Role.Municipality, code);

        await audit.RecordAsync(code, 1, [Entry(code, 1, at, actor, "r1", "system:koseki", "phase=testing", "phase=in_production")]);
        await audit.RecordAsync(code, 2, [Entry(code, 2, at, actor, "r2", "security:SEC-1-01", null, "status=implemented"), Entry(code, 2, at, actor, "r2", "system:koseki", "phase=in_production", "phase=legacy_decommissioned")]);
        await audit.RecordAsync(code, 3, [Entry(code, 3, at, new Actor("ghost", Role.Municipality, code), "never", "system:koseki", null, "x")]);

        // Readers pass the stored version (2): the incomplete version 3 is invisible...
        var first = await audit.ReadAsync(code, 2, null, 2);
        Assert.Equal(3, first.Total);
        Assert.Equal(["2 security:SEC-1-01", "2 system:koseki"], first.Entries.Select(e => $"{e.Version} {e.Target}"));
        var second = await audit.ReadAsync(code, 2, first.Next, 2);
        Assert.Equal(["1 system:koseki"], second.Entries.Select(e => $"{e.Version} {e.Target}"));
        Assert.Null(second.Next);
        var one = second.Entries.Single();
        Assert.Equal(at, one.At);
        Assert.Equal(actor, one.Actor);
        Assert.Equal("phase=testing", one.Before);

        // ...and the next accepted change at version 3 replaces it.
        // (Structured sides, as every change is recorded now: a value cannot pose as another field.)
        ImmutableArray<AuditField> forged = [new("phase", "testing"), new("vendor", "株式会社サンプル; hosting=government_cloud; phase=in_production"), new("designated", "false", IsFlag: true), new("hosting", null)];
        await audit.RecordAsync(code, 3, [Entry(code, 3, at, actor, "r3", "security:SEC-2-01", null, null) with { AfterFields = forged }]);
        var all = await audit.ReadAsync(code, long.MaxValue, null, 100);
        var structured = all.Entries.Single(e => e.Version == 3);
        Assert.Equal(forged.ToList(), structured.AfterFields.ToList());
        Assert.Empty(structured.BeforeFields);
        Assert.Null(structured.After);
        Assert.Equal(4, all.Total);
        Assert.DoesNotContain(all.Entries, e => e.Actor.Subject == "ghost");
        Assert.Equal(2, (await audit.FindRequestAsync(code, "r2", 3)).Length);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var update = new NpgsqlCommand("UPDATE readiness_audit SET actor_subject = 'someone else'", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_store_of_a_subject_holds_the_longest_subject_the_product_takes()
    {
        // The whole schema, as a silo applies it.
        var connectionString = await postgres.CreateDatabaseAsync("subjects");
        PostgresSchema.Apply(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();

        // Every column that stores a subject (the audit trail's actor, notification recipients, preferences, webhook
        // registrations) holds MaxSubjectLength characters; 200 refused a longer one with 22001, a 503 on every write.
        (string Table, string Column)[] subjects =
            [("readiness_audit", "actor_subject"), ("readiness_notification_outbox", "recipient"), ("readiness_notification_preferences", "subject"), ("readiness_webhook_endpoints", "created_by")];
        foreach (var (table, column) in subjects)
        {
            await using var length = new NpgsqlCommand("SELECT character_maximum_length FROM information_schema.columns WHERE table_name = @t AND column_name = @c", connection);
            length.Parameters.AddWithValue("t", table);
            length.Parameters.AddWithValue("c", column);
            var max = await length.ExecuteScalarAsync();
            Assert.True(max is DBNull || Convert.ToInt32(max, System.Globalization.CultureInfo.InvariantCulture) >= Readiness.Web.Auth.ReadinessCaller.MaxSubjectLength, $"{table}.{column} holds {max} characters");
        }

        // A change by a person with the longest subject is recorded and read back whole, through the group commit's batch.
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString }));
        var longest = new Actor(string.Concat(Enumerable.Repeat("利用者", 85)), Role.Municipality, ApiHost.Chiyoda);
        Assert.Equal(Readiness.Web.Auth.ReadinessCaller.MaxSubjectLength, longest.Subject.Length);
        Assert.True(Readiness.Web.Auth.ReadinessCaller.IsValidSubject(longest.Subject));
        await audit.RecordAsync(ApiHost.Chiyoda, 1, [Entry(ApiHost.Chiyoda, 1, DateTimeOffset.UtcNow, longest, "r-long", "system:koseki", null, "phase=testing")]);
        Assert.Equal(longest, (await audit.ReadAsync(ApiHost.Chiyoda, 1, null, 10)).Entries.Single().Actor);
    }

    [Fact]
    public async Task Changes_across_a_prefecture_and_the_nation_are_paged_newest_first_through_an_index_on_postgresql()
    {
        // The whole schema, as a silo applies it (100-audit-prefecture-index.sql among it).
        var connectionString = await postgres.CreateDatabaseAsync("audit_area");
        PostgresSchema.Apply(connectionString);
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString }));
        var at = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var written = new List<string>();
        var versions = new Dictionary<string, long>();
        string[] codes = [ApiHost.Chiyoda, ApiHost.Chuo, ApiHost.Osaka, "130001"]; // the last is Tokyo's own 団体コード (its own systems)
        for (var i = 0; i < 12; i++)
        {
            var code = codes[i % codes.Length];
            var version = versions[code] = versions.GetValueOrDefault(code) + 1;
            var actor = new Actor("staff", Role.Municipality, code);
            // Two targets in one change: a page may end between them.
            await audit.RecordAsync(code, version,
            [
                Entry(code, version, at.AddMinutes(i), actor, $"r{i}", "security:SEC-1-01", null, "status=implemented"),
                Entry(code, version, at.AddMinutes(i), actor, $"r{i}", "system:koseki", null, "phase=testing"),
            ]);
            written.Add($"{code}/{version}/security:SEC-1-01");
            written.Add($"{code}/{version}/system:koseki");
        }

        async Task<List<string>> ReadAll(string? prefecture, int limit)
        {
            var all = new List<string>();
            long? before = null;
            do
            {
                var page = await audit.ReadAreaAsync(prefecture, before, limit);
                Assert.True(page.Entries.Length <= limit);
                all.AddRange(page.Entries.Select(e => $"{e.MunicipalityCode}/{e.Version}/{e.Target}"));
                before = page.Next;
            }
            while (before is not null);
            return all;
        }

        // Newest recorded first; within a change, the order it was recorded in, read backwards.
        var newestFirst = written.AsEnumerable().Reverse().ToList();
        // A prefecture's own systems (130001) are part of its area and of the nation's.
        Assert.Equal(newestFirst.Where(w => w.StartsWith("13", StringComparison.Ordinal)).ToList(), await ReadAll("13", 5));
        Assert.Contains(newestFirst, w => w.StartsWith("130001", StringComparison.Ordinal));
        Assert.Equal(newestFirst.Where(w => w.StartsWith("27", StringComparison.Ordinal)).ToList(), await ReadAll("27", 4));
        Assert.Equal(newestFirst, await ReadAll(null, 7));
        Assert.Empty(await ReadAll("01", 5));

        // The area's fingerprint (the CSV's ETag): its rows' count, newest position and sum of positions; a row that
        // joins another area leaves it as it was.
        var tokyo = await audit.ReadAreaFingerprintAsync("13");
        var nation = await audit.ReadAreaFingerprintAsync(null);
        Assert.StartsWith("18:", tokyo, StringComparison.Ordinal);
        Assert.StartsWith("24:", nation, StringComparison.Ordinal);
        Assert.Equal("0:0:0", await audit.ReadAreaFingerprintAsync("01"));
        await audit.RecordAsync(ApiHost.Osaka, versions[ApiHost.Osaka] + 1, [Entry(ApiHost.Osaka, versions[ApiHost.Osaka] + 1, at.AddHours(1), new Actor("staff", Role.Municipality, ApiHost.Osaka), "r-late", "system:koseki", null, "phase=testing")]);
        Assert.Equal(tokyo, await audit.ReadAreaFingerprintAsync("13"));
        Assert.NotEqual(nation, await audit.ReadAreaFingerprintAsync(null));
        Assert.StartsWith("25:", await audit.ReadAreaFingerprintAsync(null), StringComparison.Ordinal);

        // Per view (round 44): exclude sums only the rows that are not confirmations, only the confirmations alone, so a
        // confirmation arriving moves each, grouped and only but not exclude, and a real change not only. Failed before:
        // the fingerprint took no view.
        var views = new[] { AreaConfirmations.Each, AreaConfirmations.Grouped, AreaConfirmations.Exclude, AreaConfirmations.Only };
        async Task<Dictionary<AreaConfirmations, string>> Tokyo() =>
            (await Task.WhenAll(views.Select(async v => (v, await audit.ReadAreaFingerprintAsync("13", v))))).ToDictionary(p => p.v, p => p.Item2);
        var noConfirmation = await Tokyo();
        Assert.Equal(tokyo, noConfirmation[AreaConfirmations.Exclude]);
        Assert.Equal("0:0:0", noConfirmation[AreaConfirmations.Only]);
        var chiyoda = versions[ApiHost.Chiyoda] += 1;
        await audit.RecordAsync(ApiHost.Chiyoda, chiyoda, [Entry(ApiHost.Chiyoda, chiyoda, at.AddHours(2), new Actor("staff", Role.Municipality, ApiHost.Chiyoda), "r-confirm", "system:koseki", "phase=testing", "phase=testing")]);
        var confirmed = await Tokyo();
        Assert.Equal(noConfirmation[AreaConfirmations.Exclude], confirmed[AreaConfirmations.Exclude]);
        Assert.StartsWith("1:", confirmed[AreaConfirmations.Only], StringComparison.Ordinal);
        Assert.NotEqual(noConfirmation[AreaConfirmations.Each], confirmed[AreaConfirmations.Each]);
        Assert.NotEqual(noConfirmation[AreaConfirmations.Grouped], confirmed[AreaConfirmations.Grouped]);
        chiyoda = versions[ApiHost.Chiyoda] += 1;
        await audit.RecordAsync(ApiHost.Chiyoda, chiyoda, [Entry(ApiHost.Chiyoda, chiyoda, at.AddHours(3), new Actor("staff", Role.Municipality, ApiHost.Chiyoda), "r-change", "system:koseki", "phase=testing", "phase=in_production")]);
        var changed = await Tokyo();
        Assert.Equal(confirmed[AreaConfirmations.Only], changed[AreaConfirmations.Only]);
        Assert.NotEqual(confirmed[AreaConfirmations.Exclude], changed[AreaConfirmations.Exclude]);

        // One index range per page, however long the trail: 47,000 more rows in other prefectures, analysed. (Where a
        // prefecture's changes are a large share of the trail, the planner may rightly walk ix_readiness_audit_position
        // backwards instead, meeting one of them every few rows; the prefecture's index is for the quiet prefectures.)
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var fill = new NpgsqlCommand("""
            INSERT INTO readiness_audit (municipality_code, version, target, at_utc, actor_subject, actor_role, request_id)
            SELECT lpad((14 + g % 34)::text, 2, '0') || '2010', 100 + g, 'system:koseki', now(), 'load', 'municipality', 'r' || g
            FROM generate_series(1, 47000) AS g;
            ANALYZE readiness_audit;
            """, connection))
        {
            await fill.ExecuteNonQueryAsync();
        }

        async Task<string> Plan(bool prefecture, bool after)
        {
            // A later page: below the middle of the trail.
            var sql = SqlAuditLog.AreaSql(sqlite: false, prefecture, after).Replace("@prefecture", "'13'").Replace("@before", "24000").Replace("@take", "51");
            await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
            await using var reader = await explain.ExecuteReaderAsync();
            var lines = new List<string>();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }

            return string.Join("\n", lines);
        }

        foreach (var prefecturePlan in new[] { await Plan(prefecture: true, after: false), await Plan(prefecture: true, after: true) })
        {
            // (A bitmap scan of it and a sort of the few rows it finds, or a backward scan of it: either reads only the prefecture's rows.)
            Assert.True(prefecturePlan.Contains("ix_readiness_audit_prefecture", StringComparison.Ordinal) && !prefecturePlan.Contains("Seq Scan", StringComparison.Ordinal), prefecturePlan);
        }

        foreach (var nationPlan in new[] { await Plan(prefecture: false, after: false), await Plan(prefecture: false, after: true) })
        {
            Assert.True(nationPlan.Contains("Index Scan Backward using ix_readiness_audit_position", StringComparison.Ordinal) && !nationPlan.Contains("Seq Scan", StringComparison.Ordinal) && !nationPlan.Contains("Sort", StringComparison.Ordinal), nationPlan);
        }
    }

    [Fact]
    public async Task Forty_rows_of_one_change_are_stored_whole_on_postgresql()
    {
        var connectionString = await postgres.CreateDatabaseAsync("audit_rows");
        await Apply(connectionString);
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString }));
        var entries = AuditRowsRoundTrip.Entries(ApiHost.Chiyoda, 7, new DateTimeOffset(2026, 12, 1, 4, 5, 6, 789, TimeSpan.Zero));
        await audit.RecordAsync(ApiHost.Chiyoda, 7, entries);
        await AuditRowsRoundTrip.AssertReadBackAsync(audit, ApiHost.Chiyoda, 7, entries);

        // The sides, bound as UTF-8 bytes, are stored as JSON objects with their Japanese text as text.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var check = new NpgsqlCommand(
            "SELECT COUNT(*) FILTER (WHERE json_typeof(after_fields) = 'object'), COUNT(*) FILTER (WHERE before_fields IS NULL), MAX(after_fields ->> 'evidence') FROM readiness_audit WHERE version = 7", connection);
        await using var reader = await check.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((40L, 14L, "規程 9"), (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2)));
    }

    [Fact]
    public async Task Concurrent_records_commit_in_groups_and_a_bad_record_fails_alone()
    {
        var connectionString = await postgres.CreateDatabaseAsync("audit_groups");
        await Apply(connectionString);
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString }));
        var at = DateTimeOffset.UtcNow;
        var codes = Enumerable.Range(0, 300).Select(i => $"9{i:D5}").ToList();

        Task Write(string code, long version) => audit.RecordAsync(code, version,
        [
            Entry(code, version, at, new Actor("staff", Role.Municipality, code), $"r{version}-{code}", "system:koseki", "phase=testing", "phase=in_production"),
            Entry(code, version, at, new Actor("staff", Role.Municipality, code), $"r{version}-{code}", "security:SEC-1-01", null, "status=implemented"),
        ]);

        await Task.WhenAll(codes.Select(code => Write(code, 1)));
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var (rows, municipalities, transactions) = await Counts(connection);
        Assert.Equal(600, rows);
        Assert.Equal(300, municipalities);
        Assert.True(transactions < 100, $"300 concurrent records took {transactions} transactions; they should share a few");

        // The same target twice in one version breaks the primary key: in a group, this caller fails and nobody else does.
        const string bad = "999999";
        var second = codes.Take(50).Select(code => Write(code, 2)).ToList();
        var badWrite = audit.RecordAsync(bad, 1,
        [
            Entry(bad, 1, at, new Actor("staff", Role.Municipality, bad), "r-bad", "system:koseki", null, "a"),
            Entry(bad, 1, at, new Actor("staff", Role.Municipality, bad), "r-bad", "system:koseki", null, "b"),
        ]);
        second.AddRange(codes.Skip(50).Take(50).Select(code => Write(code, 2)));
        await Task.WhenAll(second);
        await Assert.ThrowsAsync<PostgresException>(() => badWrite);

        Assert.Equal(800, (await Counts(connection)).Rows);
        foreach (var code in codes.Take(100))
        {
            Assert.Equal(2, (await audit.FindRequestAsync(code, "r2-" + code, 2)).Length);
        }

        Assert.Empty(await audit.FindRequestAsync(bad, "r-bad", 1));
    }

    [Fact]
    public async Task When_the_database_cannot_be_reached_a_group_fails_at_once_not_record_by_record()
    {
        // Nothing listens on this port: every connection attempt is refused.
        var unreachable = new CountingConnection(StorageConnection.For(new ReadinessOptions
        {
            Mode = HostingMode.Cluster,
            ConnectionString = $"Host=127.0.0.1;Port={TestPorts.Free()};Username=readiness;Password=x;Database=readiness;Timeout=3",
        }));
        var audit = new SqlAuditLog(unreachable);
        var at = DateTimeOffset.UtcNow;
        var writes = Enumerable.Range(0, 50).Select(i => $"8{i:D5}").Select(code => audit.RecordAsync(code, 1,
            [Entry(code, 1, at, new Actor("staff", Role.Municipality, code), "r-" + code, "system:koseki", null, "phase=testing")])).ToList();

        foreach (var write in writes)
        {
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => write);
        }

        Assert.True(unreachable.Opens < 10, $"50 records made {unreachable.Opens} connection attempts; a group that cannot connect should fail together");
    }

    private sealed class CountingConnection(IStorageConnection inner) : IStorageConnection
    {
        private int opens;

        public int Opens => opens;

        public string Invariant => inner.Invariant;

        public string ConnectionString => inner.ConnectionString;

        public string Location => inner.Location;

        public Task<System.Data.Common.DbConnection> OpenAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref opens);
            return inner.OpenAsync(cancellationToken);
        }

        public void EnsureSchema() => inner.EnsureSchema();
    }

    private static async Task<(long Rows, long Municipalities, long Transactions)> Counts(NpgsqlConnection connection)
    {
        await using var count = new NpgsqlCommand("SELECT count(*), count(DISTINCT municipality_code), count(DISTINCT xmin::text) FROM readiness_audit", connection);
        await using var reader = await count.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static async Task Apply(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Script, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_confirming_report_is_one_entry_of_the_area_feed_on_postgresql_and_every_view_pages_exactly()
    {
        var connectionString = await postgres.CreateDatabaseAsync("audit_confirmed");
        PostgresSchema.Apply(connectionString);
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString }));
        var at = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
        var actor = new Actor("staff", Role.Municipality, ApiHost.Chiyoda);
        ImmutableArray<AuditField> vendor = [new AuditField("vendor", "A")];
        ChangeEntry Confirm(string code, long version, string target) =>
            Entry(code, version, at, actor, $"c{version}", target, null, null) with { BeforeFields = vendor, AfterFields = vendor };

        // Oldest first: a real change, a confirmation of three targets (fields), a real change, a legacy confirmation (text).
        await audit.RecordAsync(ApiHost.Chiyoda, 1, [Entry(ApiHost.Chiyoda, 1, at, actor, "r1", "system:koseki", null, "vendor=A")]);
        await audit.RecordAsync(ApiHost.Chiyoda, 2, [Confirm(ApiHost.Chiyoda, 2, "system:koseki"), Confirm(ApiHost.Chiyoda, 2, "system:juki"), Confirm(ApiHost.Chiyoda, 2, "security:SEC-1-01")]);
        await audit.RecordAsync(ApiHost.Chuo, 1, [Entry(ApiHost.Chuo, 1, at, actor, "r2", "system:koseki", "vendor=A", "vendor=B")]);
        await audit.RecordAsync(ApiHost.Chuo, 2, [Entry(ApiHost.Chuo, 2, at, actor, "r3", "system:koseki", "vendor=B", "vendor=B")]);

        async Task<List<string>> Walk(AreaConfirmations view, int limit)
        {
            var keys = new List<string>();
            long? before = null;
            do
            {
                var page = await audit.ReadAreaAsync("13", before, limit, view);
                Assert.True(page.Entries.Length <= limit);
                keys.AddRange(page.Entries.Select((e, i) => $"{e.MunicipalityCode}/{e.Version}/" + (page.GroupedCount(i) is { } n ? $"count={n}" : e.Target)));
                before = page.Next;
            }
            while (before is not null);
            return keys;
        }

        string[] grouped = [$"{ApiHost.Chuo}/2/count=1", $"{ApiHost.Chuo}/1/system:koseki", $"{ApiHost.Chiyoda}/2/count=3", $"{ApiHost.Chiyoda}/1/system:koseki"];
        foreach (var limit in new[] { 1, 2, 3, 10 })
        {
            Assert.Equal(grouped, await Walk(AreaConfirmations.Grouped, limit));
            Assert.Equal([grouped[1], grouped[3]], await Walk(AreaConfirmations.Exclude, limit));
            Assert.Equal([grouped[0], grouped[2]], await Walk(AreaConfirmations.Only, limit));
            Assert.Equal(6, (await Walk(AreaConfirmations.Each, limit)).Count);
        }
    }

    private static ChangeEntry Entry(string code, long version, DateTimeOffset at, Actor actor, string requestId, string target, string? before, string? after) => new()
    {
        MunicipalityCode = code, Version = version, At = at, Actor = actor, RequestId = requestId, Target = target, Before = before, After = after, ClientAddress = "127.0.0.1",
    };
}

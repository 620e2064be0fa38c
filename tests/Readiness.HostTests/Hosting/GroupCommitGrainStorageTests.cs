using Microsoft.Data.Sqlite;
using Orleans.Storage;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.HostTests.Hosting;

/// <summary>
/// Group commit of grain state on SQLite (the embedded default): many grains' writes share a transaction, yet each
/// caller gets its own outcome; states written by the Orleans ADO.NET provider before the upgrade are still found.
/// </summary>
public sealed class GroupCommitGrainStorageTests(ITestOutputHelper output)
{
    private static SqliteConnection Open(ReadinessOptions options)
    {
        var connection = new SqliteConnection(SqliteSchema.ConnectionString(Path.Combine(options.ResolveDataPath(), SqliteSchema.DatabaseFileName)));
        connection.Open();
        return connection;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Concurrent_writes_of_many_grains_share_few_commits_and_a_restart_finds_every_acknowledged_state()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false };
        const int grains = 1_000;
        await using (var silo = await GroupCommitSilo.StartAsync(options))
        {
            var storage = silo.GroupCommit();
            var before = storage.Commits;
            var states = Enumerable.Range(0, grains).Select(i => GroupCommitSilo.State($"note {i}", i)).ToList();
            var started = System.Diagnostics.Stopwatch.StartNew();
            await Task.WhenAll(states.Select((s, i) => Task.Run(() => storage.WriteStateAsync("note", GroupCommitSilo.Grain($"g{i}"), s))));
            var commits = storage.Commits - before;
            output.WriteLine($"{grains} concurrent first writes: {commits} commits, largest group {storage.LargestGroup}, {started.ElapsedMilliseconds} ms");
            Assert.All(states, s => Assert.Equal(("1", true), (s.ETag, s.RecordExists)));
            Assert.True(commits <= grains / 10, $"{commits} commits for {grains} writes: they were not grouped");
            Assert.True(storage.LargestGroup > 1);
            Assert.True(storage.LargestGroup <= GroupCommitGrainStorage.MaxWritesPerCommit);

            // A second round on the ETags the first returned.
            await Task.WhenAll(states.Select((s, i) => Task.Run(() =>
            {
                s.State!.Count += 1_000;
                return storage.WriteStateAsync("note", GroupCommitSilo.Grain($"g{i}"), s);
            })));
            Assert.All(states, s => Assert.Equal("2", s.ETag));
        }

        // Every acknowledged state is in the database: a new silo (a restarted process) reads each back.
        using (var connection = Open(options))
        {
            Assert.Equal(grains, Scalar(connection, "SELECT COUNT(*) FROM readiness_grain_state"));
            Assert.Equal(0, Scalar(connection, "SELECT COUNT(*) FROM OrleansStorage"));
        }

        await using (var silo = await GroupCommitSilo.StartAsync(options))
        {
            for (var i = 0; i < grains; i++)
            {
                var read = await silo.ReadAsync($"g{i}");
                Assert.Equal(("2", true, $"note {i}", i + 1_000), (read.ETag, read.RecordExists, read.State!.Text, read.State!.Count));
            }
        }
    }

    [Fact]
    public async Task A_large_state_is_stored_compressed_a_small_one_and_a_row_from_before_as_text_and_a_damaged_row_is_refused()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false };
        var large = string.Concat(Enumerable.Range(0, 400).Select(i => $"第{i}業務: 移行中; "));
        await using (var silo = await GroupCommitSilo.StartAsync(options))
        {
            var storage = silo.GroupCommit();
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("large"), GroupCommitSilo.State(large, 1));
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("small"), GroupCommitSilo.State("小さい", 2));
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("before"), GroupCommitSilo.State("to be rewritten as text", 3));
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("damaged"), GroupCommitSilo.State(large, 4));
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("small-damaged"), GroupCommitSilo.State("小", 5));
        }

        using (var connection = Open(options))
        {
            using var rows = connection.CreateCommand();
            rows.CommandText = "SELECT grain_id, typeof(payload), length(CAST(payload AS BLOB)) FROM readiness_grain_state ORDER BY grain_id";
            using (var reader = rows.ExecuteReader())
            {
                var stored = new Dictionary<string, (string Type, long Bytes)>();
                while (reader.Read())
                {
                    stored[reader.GetString(0)] = (reader.GetString(1), reader.GetInt64(2));
                }

                output.WriteLine(string.Join(", ", stored.Select(kv => $"{kv.Key}: {kv.Value.Type} {kv.Value.Bytes:N0} bytes")));
                var largeJson = System.Text.Encoding.UTF8.GetByteCount(System.Text.Json.JsonSerializer.Serialize(new NoteState { Text = large, Count = 1 }));
                Assert.Equal("blob", stored["note/large"].Type);
                Assert.True(stored["note/large"].Bytes < largeJson / 4, $"{largeJson:N0} bytes of JSON stored as {stored["note/large"].Bytes:N0}");
                Assert.Equal("text", stored["note/small"].Type);
            }

            // A row as this table held it before: JSON text, whatever its size.
            using var before = connection.CreateCommand();
            before.CommandText = "UPDATE readiness_grain_state SET payload = $json WHERE grain_id = 'note/before'";
            before.Parameters.AddWithValue("$json", System.Text.Json.JsonSerializer.Serialize(new NoteState { Text = large + "(before)", Count = 3 }));
            Assert.Equal(1, before.ExecuteNonQuery());

            // A small state stored as text that is no longer JSON.
            using var text = connection.CreateCommand();
            text.CommandText = "UPDATE readiness_grain_state SET payload = substr(payload, 1, 10) WHERE grain_id = 'note/small-damaged'";
            Assert.Equal(1, text.ExecuteNonQuery());

            // A stored stream cut short: inflating what is there would give part of the state.
            using var damage = connection.CreateCommand();
            damage.CommandText = "UPDATE readiness_grain_state SET payload = substr(payload, 1, length(payload) - 40) WHERE grain_id = 'note/damaged'";
            Assert.Equal(1, damage.ExecuteNonQuery());
        }

        await using (var restarted = await GroupCommitSilo.StartAsync(options))
        {
            var read = await restarted.ReadAsync("large");
            Assert.Equal(("1", large, 1), (read.ETag, read.State!.Text, read.State!.Count));
            read = await restarted.ReadAsync("small");
            Assert.Equal(("1", "小さい", 2), (read.ETag, read.State!.Text, read.State!.Count));
            read = await restarted.ReadAsync("before");
            Assert.Equal(("1", large + "(before)", 3), (read.ETag, read.State!.Text, read.State!.Count));

            // Rewritten, the row from before is stored compressed like any other.
            read.State!.Count = 4;
            await restarted.GroupCommit().WriteStateAsync("note", GroupCommitSilo.Grain("before"), read);
            Assert.Equal(("2", 4), (read.ETag, (await restarted.ReadAsync("before")).State!.Count));

            var refused = await Assert.ThrowsAsync<UnreadableStateException>(() => restarted.ReadAsync("damaged"));
            output.WriteLine(refused.Message);
            Assert.EndsWith("note/damaged/note", refused.StateKey, StringComparison.Ordinal);
            Assert.Contains("Adler-32", refused.Message, StringComparison.Ordinal);
            refused = await Assert.ThrowsAsync<UnreadableStateException>(() => restarted.ReadAsync("small-damaged"));
            Assert.Contains("note/small-damaged", refused.StateKey, StringComparison.Ordinal);
        }

        using (var connection = Open(options))
        {
            using var type = connection.CreateCommand();
            type.CommandText = "SELECT typeof(payload) FROM readiness_grain_state WHERE grain_id = 'note/before'";
            Assert.Equal("blob", (string)type.ExecuteScalar()!);
        }
    }

    [Fact]
    public async Task A_stale_etag_fails_only_that_write_and_the_others_of_its_group_commit()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false };
        await using var silo = await GroupCommitSilo.StartAsync(options);
        var storage = silo.GroupCommit();
        var first = GroupCommitSilo.State("first", 1);
        await storage.WriteStateAsync("note", GroupCommitSilo.Grain("contended"), first);
        Assert.Equal("1", first.ETag);

        // Hold the write turn so that everything below lands in one group.
        var hold = new TaskCompletionSource();
        var held = silo.Gate().RunAsync(() => hold.Task);
        var commitsBefore = storage.Commits;
        var stale = GroupCommitSilo.State("stale", 2, etag: null); // a second writer that never read the row
        var wrongVersion = GroupCommitSilo.State("wrong", 3, etag: "7");
        var others = Enumerable.Range(0, 50).Select(i => GroupCommitSilo.State($"other {i}", i)).ToList();
        var staleWrite = storage.WriteStateAsync("note", GroupCommitSilo.Grain("contended"), stale);
        var wrongWrite = storage.WriteStateAsync("note", GroupCommitSilo.Grain("contended"), wrongVersion);
        var otherWrites = others.Select((s, i) => storage.WriteStateAsync("note", GroupCommitSilo.Grain($"other{i}"), s)).ToList();
        hold.SetResult();
        await held;

        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => staleWrite);
        Assert.Equal("1", conflict.StoredEtag);
        var wrong = await Assert.ThrowsAsync<InconsistentStateException>(() => wrongWrite);
        Assert.Equal(("1", "7"), (wrong.StoredEtag, wrong.CurrentEtag));
        await Task.WhenAll(otherWrites);
        Assert.All(others, s => Assert.Equal("1", s.ETag));
        Assert.Null(stale.ETag);
        Assert.True(storage.Commits - commitsBefore <= 3, $"{storage.Commits - commitsBefore} commits");

        var read = await silo.ReadAsync("contended");
        Assert.Equal(("1", "first"), (read.ETag, read.State!.Text));

        // The writer that holds the current ETag goes on; clearing keeps the version counting.
        first.State!.Text = "second";
        await storage.WriteStateAsync("note", GroupCommitSilo.Grain("contended"), first);
        Assert.Equal("2", first.ETag);
        await storage.ClearStateAsync("note", GroupCommitSilo.Grain("contended"), first);
        Assert.Equal(("3", false, ""), (first.ETag, first.RecordExists, first.State!.Text));
        var cleared = await silo.ReadAsync("contended");
        Assert.Equal(("3", false, 0), (cleared.ETag, cleared.RecordExists, cleared.State!.Count));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", GroupCommitSilo.Grain("contended"), GroupCommitSilo.State("late", 9, etag: "2")));
    }

    [Fact]
    public async Task Two_silos_in_one_process_on_one_file_queue_at_one_gate_instead_of_timing_out_at_sqlites_lock()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false, StorageLockTimeout = TimeSpan.FromSeconds(1) };
        await using var silo = await GroupCommitSilo.StartAsync(options, silos: 2);
        Assert.Same(silo.Gate(0), silo.Gate(1));

        // Silo 0 holds SQLite's write lock for 2.5 times the lock timeout, as a long group commit would.
        var locked = new TaskCompletionSource();
        var held = silo.Gate(0).RunAsync(async () =>
        {
            using var connection = Open(options);
            using var transaction = connection.BeginTransaction();
            using (var write = connection.CreateCommand())
            {
                write.Transaction = transaction;
                write.CommandText = "CREATE TABLE held_by_silo_0 (x INTEGER)";
                write.ExecuteNonQuery();
            }

            locked.SetResult();
            await Task.Delay(TimeSpan.FromMilliseconds(2_500));
            transaction.Commit();
        });
        await locked.Task;

        // Silo 1's write waits its turn at the shared gate, then commits; with a gate per silo it met SQLite's lock and
        // failed after the 1 s lock timeout ("database is locked").
        var state = GroupCommitSilo.State("from silo 1", 1);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await silo.Storage(1).WriteStateAsync("note", GroupCommitSilo.Grain("second-silo"), state);
        await held;
        output.WriteLine($"silo 1's write committed after {started.ElapsedMilliseconds} ms behind silo 0's 2,500 ms transaction");
        Assert.Equal("1", state.ETag);
        Assert.Equal("from silo 1", (await silo.ReadAsync("second-silo", silo: 0)).State!.Text);
    }

    [Fact]
    public async Task A_write_the_database_refuses_fails_only_itself()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false };
        await using var silo = await GroupCommitSilo.StartAsync(options);
        using (var connection = Open(options))
        using (var trigger = connection.CreateCommand())
        {
            // A real refusal by the database for one row only.
            trigger.CommandText = "CREATE TRIGGER poison BEFORE INSERT ON readiness_grain_state WHEN NEW.grain_id LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;";
            trigger.ExecuteNonQuery();
        }

        var storage = silo.GroupCommit();
        var hold = new TaskCompletionSource();
        var held = silo.Gate().RunAsync(() => hold.Task);
        var commitsBefore = storage.Commits;
        var good = Enumerable.Range(0, 30).Select(i => GroupCommitSilo.State($"good {i}", i)).ToList();
        var poison = GroupCommitSilo.State("poison", 0);
        var writes = good.Select((s, i) => storage.WriteStateAsync("note", GroupCommitSilo.Grain($"good{i}"), s)).ToList();
        var poisonWrite = storage.WriteStateAsync("note", GroupCommitSilo.Grain("poison"), poison);
        hold.SetResult();
        await held;

        var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() => poisonWrite);
        Assert.Contains("poisoned row", failure.Message, StringComparison.Ordinal);
        Assert.Null(poison.ETag);
        await Task.WhenAll(writes);
        Assert.All(good, s => Assert.Equal("1", s.ETag));
        output.WriteLine($"31 writes, one refused: {storage.Commits - commitsBefore} commits (the failing group retried write by write)");
        for (var i = 0; i < good.Count; i++)
        {
            Assert.Equal($"good {i}", (await silo.ReadAsync($"good{i}")).State!.Text);
        }

        Assert.False((await silo.ReadAsync("poison")).RecordExists);
    }

    [Fact]
    public async Task States_written_by_the_orleans_provider_before_the_upgrade_are_read_and_carried_on()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false };
        await using (var old = await GroupCommitSilo.StartAsync(options, legacyProvider: true))
        {
            var storage = old.Storage();
            Assert.IsNotType<GroupCommitGrainStorage>(storage);
            var a = GroupCommitSilo.State("written twice before", 1);
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("a"), a);
            a.State!.Count = 2;
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("a"), a);
            Assert.Equal("2", a.ETag);
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("b"), GroupCommitSilo.State("written once before", 7));
        }

        using (var connection = Open(options))
        {
            Assert.Equal(2, Scalar(connection, "SELECT COUNT(*) FROM OrleansStorage"));
            Assert.Equal(0, Scalar(connection, "SELECT COUNT(*) FROM readiness_grain_state"));
        }

        await using (var upgraded = await GroupCommitSilo.StartAsync(options))
        {
            var storage = upgraded.GroupCommit();
            var a = await upgraded.ReadAsync("a");
            Assert.Equal(("legacy:2", true, "written twice before", 2), (a.ETag, a.RecordExists, a.State!.Text, a.State!.Count));
            var b = await upgraded.ReadAsync("b");
            Assert.Equal(("legacy:1", true, "written once before", 7), (b.ETag, b.RecordExists, b.State!.Text, b.State!.Count));
            var none = await upgraded.ReadAsync("never");
            Assert.Equal((null, false), (none.ETag, none.RecordExists));

            // The first write after the upgrade moves the state over, its version counting on from the old row's.
            a.State!.Count = 3;
            await storage.WriteStateAsync("note", GroupCommitSilo.Grain("a"), a);
            Assert.Equal("3", a.ETag);
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", GroupCommitSilo.Grain("a"), GroupCommitSilo.State("stale", 0, etag: "2")));
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", GroupCommitSilo.Grain("a"), GroupCommitSilo.State("stale", 0, etag: "legacy:2")));

            // Writers that do not hold the old row's version are refused: one that never read it, one with another version.
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", GroupCommitSilo.Grain("b"), GroupCommitSilo.State("as if new", 0)));
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("note", GroupCommitSilo.Grain("b"), GroupCommitSilo.State("other version", 0, etag: "legacy:5")));
        }

        using (var connection = Open(options))
        {
            Assert.Equal(1, Scalar(connection, "SELECT COUNT(*) FROM readiness_grain_state"));
            Assert.Equal(3, Scalar(connection, "SELECT version FROM readiness_grain_state WHERE grain_id = 'note/a'"));
            using var payload = connection.CreateCommand();
            payload.CommandText = "SELECT payload FROM readiness_grain_state WHERE grain_id = 'note/a'";
            var json = (string)payload.ExecuteScalar()!;
            output.WriteLine($"stored payload: {json}");
            Assert.Contains("written twice before", json, StringComparison.Ordinal); // readable JSON, not a binary blob
            using var type = connection.CreateCommand();
            type.CommandText = "SELECT typeof(payload) FROM readiness_grain_state WHERE grain_id = 'note/a'";
            Assert.Equal("text", (string)type.ExecuteScalar()!); // the bound UTF-8 bytes are stored as text
        }

        await using (var restarted = await GroupCommitSilo.StartAsync(options))
        {
            var a = await restarted.ReadAsync("a");
            Assert.Equal(("3", 3), (a.ETag, a.State!.Count));
            var b = await restarted.ReadAsync("b");
            Assert.Equal(("legacy:1", 7), (b.ETag, b.State!.Count));
        }
    }

    [Fact]
    public async Task Audit_entries_and_applied_requests_commit_in_their_states_transaction_and_only_when_the_state_applies()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false };
        await using var silo = await GroupCommitSilo.StartAsync(options);
        using (var connection = Open(options))
        using (var trigger = connection.CreateCommand())
        {
            // A real refusal by the database for one audit row only: its state must not be stored either.
            trigger.CommandText = "CREATE TRIGGER poison BEFORE INSERT ON readiness_audit WHEN NEW.target = 'system:poison' BEGIN SELECT RAISE(ABORT, 'poisoned audit row'); END;";
            trigger.ExecuteNonQuery();
        }

        var storage = silo.GroupCommit();
        var contended = Audited("first", "99001", 1, "system:koseki");
        await storage.WriteStateAsync("audited", GroupCommitSilo.Grain("contended"), contended);

        // Hold the write turn so that everything below lands in one group.
        var hold = new TaskCompletionSource();
        var held = silo.Gate().RunAsync(() => hold.Task);
        var commitsBefore = storage.Commits;
        var good = Enumerable.Range(0, 40).Select(i => Audited($"good {i}", $"9{i + 2000:D4}", 1, "system:koseki", "security:SEC-1-01")).ToList();
        var goodWrites = good.Select((s, i) => storage.WriteStateAsync("audited", GroupCommitSilo.Grain($"good{i}"), s)).ToList();
        var stale = Audited("stale", "99001", 2, "system:juki");
        stale.ETag = "7";
        var staleWrite = storage.WriteStateAsync("audited", GroupCommitSilo.Grain("contended"), stale);
        var poison = Audited("poison", "99002", 1, "system:koseki", "system:poison");
        var poisonWrite = storage.WriteStateAsync("audited", GroupCommitSilo.Grain("poison"), poison);
        hold.SetResult();
        await held;

        await Task.WhenAll(goodWrites);
        await Assert.ThrowsAsync<InconsistentStateException>(() => staleWrite);
        var refused = await Assert.ThrowsAsync<StorageUnavailableException>(() => poisonWrite);
        Assert.Contains("poisoned audit row", refused.Message, StringComparison.Ordinal);
        output.WriteLine($"42 audited writes (one stale, one refused): {storage.Commits - commitsBefore} commits");

        using var check = Open(options);
        // Every applied write's entries are in the trail: 40 × 2, plus the first write's one.
        Assert.Equal(81, Scalar(check, "SELECT COUNT(*) FROM readiness_audit"));
        Assert.Equal(2, Scalar(check, "SELECT COUNT(*) FROM readiness_audit WHERE municipality_code = '92039' AND version = 1"));
        // Each applied write's request is remembered with it, one row per version.
        Assert.Equal(41, Scalar(check, "SELECT COUNT(*) FROM readiness_applied_request"));
        Assert.Equal(1, Scalar(check, "SELECT COUNT(*) FROM readiness_applied_request WHERE code = '92039' AND version = 1 AND request_id = 'r-92039-1' AND call_id = 'call-good 39'"));
        // The stale write's entry and request, and the refused write's rows (and state), are nowhere.
        Assert.Equal(0, Scalar(check, "SELECT COUNT(*) FROM readiness_audit WHERE target = 'system:juki' OR municipality_code = '99002'"));
        Assert.Equal(0, Scalar(check, "SELECT COUNT(*) FROM readiness_applied_request WHERE request_id IN ('r-99001-2', 'r-99002-1')"));
        Assert.False((await silo.ReadAsync("poison")).RecordExists);
        // Entries are not part of the stored state.
        using var payload = check.CreateCommand();
        payload.CommandText = "SELECT payload FROM readiness_grain_state WHERE grain_id = 'note/good0'";
        var json = (string)payload.ExecuteScalar()!;
        Assert.Contains("good 0", json, StringComparison.Ordinal);
        Assert.DoesNotContain("koseki", json, StringComparison.Ordinal);
    }

    private static GrainState<AuditedNoteState> Audited(string text, string code, long version, params string[] targets) =>
        new(new AuditedNoteState
        {
            Text = text,
            Audit = new PendingAudit(code, [.. targets.Select(target => new Readiness.ChangeEntry
            {
                MunicipalityCode = code,
                Version = version,
                At = DateTimeOffset.UnixEpoch,
                Actor = new Readiness.Actor("tester", Readiness.Role.Municipality, code),
                RequestId = $"r-{code}-{version}",
                Target = target,
                After = "phase=testing",
            })], [new AppliedRequest($"r-{code}-{version}", "F1", version) { CallId = "call-" + text }]),
        });
}

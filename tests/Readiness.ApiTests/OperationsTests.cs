using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Readiness.Catalog;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Operating the embedded default as an operator would: an online backup taken under write load and restored into a
/// fresh host, readiness that fails on a full disk and on a lock held elsewhere and recovers, and the administrators'
/// backup API and Orleans Dashboard refused to everyone else.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class OperationsTests(ITestOutputHelper output)
{
    private static readonly string[] Writers = ["131016", "131024", "271004", "011002"];

    [Fact]
    public async Task A_backup_taken_under_write_load_restores_every_change_acknowledged_before_it()
    {
        using var source = new TempFolder("readiness-backup-source");
        using var target = new TempFolder("readiness-backup-target");
        var acknowledged = new ConcurrentQueue<(string Code, long Version, DateTime At)>();
        BackupTaken backup;
        DateTime backupStarted;
        // The writers write as fast as they can: under the default 120 writes a minute per person they met 429 whenever
        // the backup took a few seconds (CI: the writers stopped and the wait for more timed out), which is not this test's subject.
        var settings = new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false", ["Readiness:RateLimits:WritesPerMinute"] = "1000000", ["Readiness:RateLimits:ReadsPerMinute"] = "1000000" };
        await using (var host = new ReadinessWebHost(source.Path, settings))
        {
            _ = host.BaseAddress; // start it once, before writers ask for it from several threads at once
            using var stop = new CancellationTokenSource();
            var writers = Writers.Select(code => Task.Run(() => WriteUntilStopped(host, code, acknowledged, stop.Token))).ToList();
            await WaitUntil(() => acknowledged.Count >= 40, TimeSpan.FromSeconds(180), writers);

            using var admin = Client(host, host.Token(Role.Admin));
            backupStarted = DateTime.UtcNow;
            using var response = await admin.PostAsync(new Uri("/api/v1/admin/backups", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            backup = JsonSerializer.Deserialize<BackupTaken>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
            var countAtBackup = acknowledged.Count;
            await WaitUntil(() => acknowledged.Count >= countAtBackup + 20, TimeSpan.FromSeconds(180), writers); // writes go on meanwhile
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            using var list = await admin.GetAsync(new Uri("/api/v1/admin/backups", UriKind.Relative));
            Assert.Contains(backup.Name, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var file = Path.Combine(source.Path, "backups", backup.Name);
        Assert.True(File.Exists(file), file);
        Assert.Null(SqliteBackup.Validate(file));
        var before = acknowledged.Where(a => a.At < backupStarted).ToList();
        output.WriteLine($"Backup {backup.Name}: {backup.Bytes:N0} bytes in {backup.ElapsedMs} ms, {backup.GrainStates} grain states, {backup.AuditRows} audit rows; "
            + $"{acknowledged.Count} changes acknowledged in all, {before.Count} before the backup started");
        Assert.NotEmpty(before);

        var restored = SqliteBackup.Restore(file, target.Path);
        Assert.Null(restored.PreviousKeptAs);
        await using var fresh = new ReadinessWebHost(target.Path, new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false" });
        using var national = Client(fresh, fresh.Token(Role.National));
        foreach (var code in Writers)
        {
            var expected = before.Where(a => a.Code == code).Select(a => a.Version).ToHashSet();
            using var history = await national.GetAsync(new Uri($"/api/v1/municipalities/{code}/history?limit=200", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, history.StatusCode);
            using var json = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
            var versions = json.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("version").GetInt64()).ToHashSet();
            Assert.Empty(expected.Except(versions)); // every change acknowledged before the backup is in the restored trail

            using var municipality = await national.GetAsync(new Uri($"/api/v1/municipalities/{code}", UriKind.Relative));
            var version = JsonDocument.Parse(await municipality.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt64();
            Assert.True(expected.Count == 0 || version >= expected.Max(), $"{code}: restored version {version} is older than an acknowledged change");
        }
    }

    [Fact]
    public async Task Restore_refuses_what_is_not_a_Readiness_database_and_a_running_product()
    {
        using var folder = new TempFolder("readiness-restore");
        var garbage = Path.Combine(folder.Path, "garbage.db");
        await File.WriteAllBytesAsync(garbage, Encoding.UTF8.GetBytes(new string('x', 8192)));
        var foreign = Path.Combine(folder.Path, "foreign.db");
        using (var connection = new SqliteConnection($"Data Source={foreign};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE t (x INTEGER)";
            command.ExecuteNonQuery();
        }

        var data = Path.Combine(folder.Path, "data");
        Assert.Contains("not a valid Readiness database", Assert.Throws<InvalidDataException>(() => SqliteBackup.Restore(garbage, data)).Message, StringComparison.Ordinal);
        Assert.Contains("tables missing", Assert.Throws<InvalidDataException>(() => SqliteBackup.Restore(foreign, data)).Message, StringComparison.Ordinal);

        // Each refusal names the file and says why in Japanese first, then English (they were English only).
        AssertSaid(Assert.Throws<InvalidDataException>(() => SqliteBackup.Restore(garbage, data)).Message, garbage, "Readiness の正しいデータベースではありません（SQLite で読めません");
        AssertSaid(Assert.Throws<InvalidDataException>(() => SqliteBackup.Restore(foreign, data)).Message, foreign, "Readiness の正しいデータベースではありません（Readiness の表がありません");
        AssertSaid(Assert.Throws<FileNotFoundException>(() => SqliteBackup.Restore(Path.Combine(folder.Path, "none.db"), data)).Message, Path.Combine(folder.Path, "none.db"), "バックアップファイルがありません");
        Assert.False(File.Exists(Path.Combine(data, SqliteSchema.DatabaseFileName)));

        await using var host = new ReadinessWebHost(data, new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false" });
        _ = host.BaseAddress; // started: it holds the data folder's lock
        var backup = Path.Combine(folder.Path, "good.db");
        var taken = await SqliteBackup.BackupAsync(Path.Combine(data, SqliteSchema.DatabaseFileName), backup);
        Assert.True(taken.Bytes > 0);
        var refused = Assert.Throws<InvalidOperationException>(() => SqliteBackup.Restore(backup, data));
        Assert.Contains("stop it before restoring", refused.Message, StringComparison.Ordinal);
        AssertSaid(refused.Message, $"Readiness:DataPath = '{data}'", "Readiness がこのデータフォルダーで動いています");

        // A backup cut short (a copy interrupted, a full disk): refused in both languages, with SQLite's own words.
        var truncated = Path.Combine(folder.Path, "truncated.db");
        var whole = await File.ReadAllBytesAsync(backup);
        await File.WriteAllBytesAsync(truncated, whole[..(whole.Length / 2)]);
        AssertSaid(Assert.Throws<InvalidDataException>(() => SqliteBackup.Restore(truncated, Path.Combine(folder.Path, "elsewhere-truncated"))).Message, truncated, "Readiness の正しいデータベースではありません（");
        Assert.False(File.Exists(Path.Combine(folder.Path, "elsewhere-truncated", SqliteSchema.DatabaseFileName)));
        Assert.Throws<IOException>(() => SqliteBackup.BackupAsync(Path.Combine(data, SqliteSchema.DatabaseFileName), backup).GetAwaiter().GetResult());

        // A stored state that fails its checksum (StatePayload) makes the file invalid, naming the row; an intact
        // compressed state does not. (A row of its own: the backup may already hold states the host wrote.)
        var json = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { Record = new { Code = "131016", Notes = new string('移', 2_000) } }));
        using var compressed = StatePayload.Compress(json)!;
        foreach (var (name, bytes) in new[] { ("intact.db", compressed.Memory.ToArray()), ("damaged.db", compressed.Memory[..^8].ToArray()) })
        {
            File.Copy(backup, Path.Combine(folder.Path, name));
            using var connection = new SqliteConnection($"Data Source={Path.Combine(folder.Path, name)};Pooling=false");
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO readiness_grain_state (service_id, grain_id, state_name, payload, version, modified_at_utc) VALUES ('readiness', 'checksum-test/1', 'note', $payload, 3, '2026-12-02T00:00:00Z')";
            insert.Parameters.AddWithValue("$payload", bytes);
            insert.ExecuteNonQuery();
        }

        Assert.Null(SqliteBackup.Validate(Path.Combine(folder.Path, "intact.db")));
        var damaged = SqliteBackup.Validate(Path.Combine(folder.Path, "damaged.db"));
        Assert.EndsWith(" / 1 stored grain state(s) cannot be read (a compressed one fails its checksum, a text one is not JSON): checksum-test/1/note", damaged, StringComparison.Ordinal);
        Assert.StartsWith("1 件の保存された状態を読めません", damaged, StringComparison.Ordinal);
        var elsewhere = Path.Combine(folder.Path, "elsewhere");
        Assert.Contains("checksum-test/1/note", Assert.Throws<InvalidDataException>(() => SqliteBackup.Restore(Path.Combine(folder.Path, "damaged.db"), elsewhere)).Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(elsewhere, SqliteSchema.DatabaseFileName)));

        // The same for a state stored as text (under 1 KiB) that is not JSON any more, and for a database a newer version
        // migrated (this version would refuse to start on it).
        File.Copy(backup, Path.Combine(folder.Path, "text.db"));
        File.Copy(backup, Path.Combine(folder.Path, "newer.db"));
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(folder.Path, "text.db")};Pooling=false"))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO readiness_grain_state (service_id, grain_id, state_name, payload, version, modified_at_utc) VALUES ('readiness', 'checksum-test/2', 'note', '{\"Record\":{\"Code\":\"13', 1, '2026-12-02T00:00:00Z')";
            insert.ExecuteNonQuery();
        }

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(folder.Path, "newer.db")};Pooling=false"))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = $"INSERT INTO ReadinessSchema (Version, Script, AppliedAt) VALUES ({SqliteSchema.Scripts.Count + 1}, 'future.sql', '2027-04-01T00:00:00Z')";
            insert.ExecuteNonQuery();
        }

        Assert.EndsWith("checksum-test/2/note", SqliteBackup.Validate(Path.Combine(folder.Path, "text.db")), StringComparison.Ordinal);
        var newer = Assert.Throws<InvalidDataException>(() => SqliteBackup.Restore(Path.Combine(folder.Path, "newer.db"), elsewhere)).Message;
        Assert.Contains($"schema version {SqliteSchema.Scripts.Count + 1}", newer, StringComparison.Ordinal);
        AssertSaid(newer, Path.Combine(folder.Path, "newer.db"), $"Readiness の正しいデータベースではありません（新しい版の Readiness で移行されています（スキーマ版 {SqliteSchema.Scripts.Count + 1}");
        Assert.False(File.Exists(Path.Combine(elsewhere, SqliteSchema.DatabaseFileName)));
    }

    [Fact]
    public async Task Restore_puts_in_place_what_it_validated_a_wal_beside_the_file_included_and_never_leaves_the_folder_without_its_database()
    {
        using var folder = new TempFolder("readiness-restore-wal");
        var data = Path.Combine(folder.Path, "data");
        await using (var host = new ReadinessWebHost(data, new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false" }))
        {
            _ = host.BaseAddress; // started and stopped: a Readiness database with its schema and seeded states
        }

        var database = Path.Combine(data, SqliteSchema.DatabaseFileName);
        long States(string file)
        {
            using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=false");
            connection.Open();
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM readiness_grain_state";
            return (long)count.ExecuteScalar()!;
        }

        var stored = States(database);

        // 1. The operator names the database itself (an operator's finding): before, it was moved aside first, the copy
        //    then found no file, and the next start ran on a new, empty database.
        var onItself = SqliteBackup.Restore(database, data);
        Assert.True(File.Exists(database));
        Assert.Equal(stored, States(database));
        Assert.Equal(stored, onItself.GrainStates);
        Assert.NotNull(onItself.PreviousKeptAs);

        // 2. A file whose last commits are still in its -wal (a product killed with kill -9, copied with its -wal and
        //    -shm): the restored database holds them, as the validation that counted them did. Before, only the main
        //    file was copied and the restore printed counts it had not put in place.
        var crashed = Path.Combine(folder.Path, "crashed.db");
        using (var writer = new SqliteConnection($"Data Source={database};Pooling=false"))
        {
            writer.Open();
            using var command = writer.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;" + string.Concat(Enumerable.Range(1, 3).Select(i =>
                $"INSERT INTO readiness_grain_state (service_id, grain_id, state_name, payload, version, modified_at_utc) VALUES ('readiness', 'wal-test/{i}', 'note', '{{}}', 1, '2026-12-06T00:00:00Z');"));
            command.ExecuteNonQuery();
            foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
            {
                File.Copy(database + suffix, crashed + suffix); // while the writer is open: its commits are in the -wal only
            }
        }

        Assert.True(new FileInfo(crashed + "-wal").Length > 0);
        var elsewhere = Path.Combine(folder.Path, "elsewhere");
        var restored = SqliteBackup.Restore(crashed, elsewhere);
        Assert.Equal(stored + 3, restored.GrainStates);
        Assert.Equal(stored + 3, States(Path.Combine(elsewhere, SqliteSchema.DatabaseFileName)));
        Assert.False(File.Exists(Path.Combine(elsewhere, SqliteSchema.DatabaseFileName + ".restoring")));
    }

    [Fact]
    public async Task Readiness_fails_while_the_disk_is_full_and_recovers_when_space_returns()
    {
        using var mountPoint = new TempFolder("readiness-smallfs");
        Run("mount", $"-t tmpfs -o size=40m tmpfs {mountPoint.Path}");
        try
        {
            var data = Path.Combine(mountPoint.Path, "data");
            await using var host = new ReadinessWebHost(data, new Dictionary<string, string?>
            {
                ["Readiness:WarmUp"] = "false",
                ["Readiness:MinimumFreeBytes"] = (8 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
                // A change writes bytes in proportion to itself (no longer a 40 KB state): many writes are needed to fill the disk.
                ["Readiness:RateLimits:WritesPerMinute"] = "100000000",
            });
            using var http = host.CreateHttpClient();
            using var writer = Client(host, host.Token(Role.Municipality, "131016"));
            var version = await PutEvidence(writer, "131016", await CurrentVersion(writer, "131016"), "before the disk filled up");
            await WaitForStatus(http, "/health/ready", HttpStatusCode.OK, TimeSpan.FromMinutes(2));
            Assert.NotNull(version);

            // Fill the file system: first to below the minimum (readiness goes, writes still work), then completely.
            var filler = Path.Combine(mountPoint.Path, "filler");
            await FillAsync(filler, StorageSpace.FreeBytes(mountPoint.Path) - (4 * 1024 * 1024));
            using (var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative)))
            {
                var body = await ready.Content.ReadAsStringAsync();
                output.WriteLine($"below the minimum: {(int)ready.StatusCode} {body}");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Contains("Disk nearly full", body, StringComparison.Ordinal);
            }

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode); // liveness is independent

            var filler2 = Path.Combine(mountPoint.Path, "filler2");
            await FillAsync(filler2, long.MaxValue);
            var refused = 0;
            for (var i = 0; i < 5_000; i++)
            {
                // The longest evidence allowed, in 3-byte characters: ~6 KB of audit row (both sides) per change.
                using var put = await writer.SendAsync(EvidenceRequest("131016", version!.Value, $"{i} {new string('満', ChangeRules.MaxEvidenceLength - 10)}"));
                Assert.True(put.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"a write on a full disk answered {(int)put.StatusCode}");
                if (put.StatusCode == HttpStatusCode.OK)
                {
                    version = long.Parse(put.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture); // fitted in space SQLite had already
                    continue;
                }

                Assert.NotNull(put.Headers.RetryAfter);
                refused++;
                break;
            }

            Assert.Equal(1, refused);

            File.Delete(filler2);
            File.Delete(filler);
            var back = await WaitForStatus(http, "/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(40));
            output.WriteLine($"ready again {back.TotalMilliseconds:N0} ms after space returned");
            Assert.NotNull(await PutEvidence(writer, "131016", await CurrentVersion(writer, "131016"), "after space returned"));
        }
        finally
        {
            Run("umount", $"-l {mountPoint.Path}");
        }
    }

    [Fact]
    public async Task A_lock_held_by_another_process_answers_503_with_Retry_After_within_seconds()
    {
        using var folder = new TempFolder("readiness-locked");
        await using var host = new ReadinessWebHost(folder.Path, new Dictionary<string, string?>
        {
            ["Readiness:WarmUp"] = "false",
            ["Readiness:StorageLockTimeout"] = "00:00:02",
        });
        using var http = host.CreateHttpClient();
        using var writer = Client(host, host.Token(Role.Municipality, "131016"));
        var version = await CurrentVersion(writer, "131016");

        // Another connection (as sqlite3 or a copy tool would) takes the write lock and holds it for 12 s.
        using var other = new SqliteConnection($"Data Source={Path.Combine(folder.Path, SqliteSchema.DatabaseFileName)};Pooling=false");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var held = Stopwatch.StartNew();
        var puts = Enumerable.Range(0, 1).Select(async i =>
        {
            var started = Stopwatch.StartNew();
            using var put = await writer.SendAsync(EvidenceRequest("131016", version, $"while locked {i}"));
            return (put.StatusCode, put.Headers.RetryAfter, started.Elapsed);
        }).ToList();
        var answers = await Task.WhenAll(puts);
        foreach (var (status, retryAfter, elapsed) in answers)
        {
            output.WriteLine($"while locked: {(int)status} after {elapsed.TotalMilliseconds:N0} ms");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.NotNull(retryAfter);
            Assert.True(elapsed < TimeSpan.FromSeconds(9), $"a write waited {elapsed.TotalSeconds:N1} s for a lock held elsewhere");
        }

        using (var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        Assert.True(held.Elapsed < TimeSpan.FromSeconds(12), "the lock was to be held for 12 s");
        using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        Assert.NotNull(await PutEvidence(writer, "131016", version, "after the lock was released"));
        await WaitForStatus(http, "/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(40));
    }

    [Fact]
    public async Task Backups_and_the_Orleans_Dashboard_are_for_administrators_only()
    {
        using var folder = new TempFolder("readiness-admin");
        await using var host = new ReadinessWebHost(folder.Path, new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false" });
        using var anonymous = host.CreateHttpClient();
        var callers = new Dictionary<string, HttpClient>
        {
            ["national"] = Client(host, host.Token(Role.National)),
            ["prefecture"] = Client(host, host.Token(Role.Prefecture, "13")),
            ["municipality"] = Client(host, host.Token(Role.Municipality, "131016")),
        };
        using var admin = Client(host, host.Token(Role.Admin));
        try
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(new Uri("/api/v1/admin/backups", UriKind.Relative), null)).StatusCode);
            using (var dashboard = await anonymous.GetAsync(new Uri("/admin/orleans/", UriKind.Relative)))
            {
                Assert.True(dashboard.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Unauthorized, $"anonymous dashboard: {(int)dashboard.StatusCode}");
            }

            foreach (var (role, client) in callers)
            {
                Assert.True((await client.PostAsync(new Uri("/api/v1/admin/backups", UriKind.Relative), null)).StatusCode == HttpStatusCode.Forbidden, role);
                Assert.True((await client.GetAsync(new Uri("/api/v1/admin/backups", UriKind.Relative))).StatusCode == HttpStatusCode.Forbidden, role);
                Assert.True((await client.GetAsync(new Uri("/admin/orleans/", UriKind.Relative))).StatusCode == HttpStatusCode.Forbidden, role);
            }

            Assert.Empty(Directory.Exists(Path.Combine(folder.Path, "backups")) ? Directory.GetFiles(Path.Combine(folder.Path, "backups")) : []);
            using (var dashboard = await admin.GetAsync(new Uri("/admin/orleans/", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
                Assert.Contains("html", dashboard.Content.Headers.ContentType?.MediaType ?? string.Empty, StringComparison.Ordinal);
            }

            using var taken = await admin.PostAsync(new Uri("/api/v1/admin/backups", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Created, taken.StatusCode);
            var file = Assert.Single(Directory.GetFiles(Path.Combine(folder.Path, "backups"), "readiness-*.db"));

            // The 201's Location names the backup just taken (RFC 9110 §15.3.2): a GET of it describes that file, as the
            // listing does, to administrators only. Before, the address answered 404.
            var location = taken.Headers.Location;
            Assert.NotNull(location);
            var body = JsonSerializer.Deserialize<BackupTaken>(await taken.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
            using (var described = await admin.GetAsync(location))
            {
                Assert.True(described.StatusCode == HttpStatusCode.OK, $"GET {location}: {(int)described.StatusCode} {await described.Content.ReadAsStringAsync()}");
                var view = JsonSerializer.Deserialize<BackupListed>(await described.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
                Assert.Equal((Path.GetFileName(file), new FileInfo(file).Length), (view.Name, view.Bytes));
                Assert.Equal(body.Name, view.Name);
            }

            foreach (var (role, client) in callers)
            {
                Assert.True((await client.GetAsync(location)).StatusCode == HttpStatusCode.Forbidden, role);
            }

            using (var missing = await admin.GetAsync(new Uri("/api/v1/admin/backups/readiness-20000101T000000Z.db", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
                Assert.Contains("\"field\":\"name\"", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // Three asked for at once (names have the second): each is taken under its own name, none refused.
            var many = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => admin.PostAsync(new Uri("/api/v1/admin/backups", UriKind.Relative), null)));
            foreach (var answer in many)
            {
                Assert.True(answer.StatusCode == HttpStatusCode.Created, $"{(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
                answer.Dispose();
            }

            Assert.Equal(4, Directory.GetFiles(Path.Combine(folder.Path, "backups"), "readiness-*.db").Length);
        }
        finally
        {
            foreach (var client in callers.Values)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>A refusal in the product's one form: "{subject}: {Japanese} / {English}", the Japanese beginning with <paramref name="japanese"/>.</summary>
    private static void AssertSaid(string message, string subject, string japanese)
    {
        Assert.StartsWith($"{subject}: {japanese}", message, StringComparison.Ordinal);
        Assert.Contains(" / ", message, StringComparison.Ordinal);
    }

    private sealed record BackupTaken(string Name, long Bytes, long ElapsedMs, DateTimeOffset TakenAt, long GrainStates, long AuditRows);

    private sealed record BackupListed(string Name, long Bytes, DateTimeOffset WrittenAt);

    private static HttpClient Client(ReadinessWebHost host, string token)
    {
        var client = host.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static HttpRequestMessage EvidenceRequest(string code, long version, string evidence)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{code}/security/SEC-1-01")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { status = "implemented", evidence }), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        return request;
    }

    private static async Task<long?> PutEvidence(HttpClient client, string code, long version, string evidence)
    {
        using var response = await client.SendAsync(EvidenceRequest(code, version, evidence));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return long.Parse(response.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
    }

    /// <summary>The municipality's version, once its grain answers (a first activation may answer 503 while the host starts).</summary>
    private static async Task<long> CurrentVersion(HttpClient client, string code)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync(new Uri($"/api/v1/municipalities/{code}", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && waited.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(500);
                continue;
            }

            // A refusal names itself (CI once saw a bare 401 here: a signing key replaced while tokens were issued).
            Assert.True(response.StatusCode == HttpStatusCode.OK,
                $"{code}: {(int)response.StatusCode} {response.Headers.WwwAuthenticate} {await response.Content.ReadAsStringAsync()}");
            return long.Parse(response.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        }
    }

    private static async Task WriteUntilStopped(ReadinessWebHost host, string code, ConcurrentQueue<(string, long, DateTime)> acknowledged, CancellationToken stop)
    {
        using var client = Client(host, host.Token(Role.Municipality, code));
        var version = await CurrentVersion(client, code);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            using var response = await client.SendAsync(EvidenceRequest(code, version, $"load {code} #{n}"), CancellationToken.None);
            Assert.True(response.StatusCode == HttpStatusCode.OK,
                $"{code} change #{n} at version {version}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
            version = long.Parse(response.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
            acknowledged.Enqueue((code, version, DateTime.UtcNow));
        }
    }

    /// <summary>Waits for <paramref name="condition"/>; a writer that stopped with a fault ends the wait with its own failure.</summary>
    private static async Task WaitUntil(Func<bool> condition, TimeSpan limit, IReadOnlyList<Task>? writers = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (writers?.FirstOrDefault(w => w.IsFaulted) is { } failed)
            {
                await failed; // rethrows the writer's assertion (the status it was answered), not a timeout
            }

            Assert.True(deadline.Elapsed < limit, $"condition not met within {limit}");
            await Task.Delay(50);
        }
    }

    private static async Task<TimeSpan> WaitForStatus(HttpClient http, string path, HttpStatusCode status, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            if (response.StatusCode == status)
            {
                return waited.Elapsed;
            }

            Assert.True(waited.Elapsed < limit, $"{path} still answers {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(250);
        }
    }

    private static async Task FillAsync(string file, long bytes)
    {
        var block = new byte[1024 * 1024];
        await using var stream = new FileStream(file, FileMode.Create, FileAccess.Write);
        try
        {
            for (long written = 0; written < bytes; written += block.Length)
            {
                await stream.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, bytes - written)));
            }

            await stream.FlushAsync();
        }
        catch (IOException)
        {
            // No space left: the file system is full, as wanted.
        }
    }

    private static void Run(string command, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {arguments}: {process.StandardError.ReadToEnd()}");
    }
}

/// <summary>The operations tests fill file systems and hold locks: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OperationsCollection
{
    public const string Name = "operations";
}

using Npgsql;
using Orleans.Storage;
using Readiness.Hosting;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.HostTests.Hosting;

/// <summary>
/// Group commit of grain state on PostgreSQL (cluster mode): two silos, each with its own writer loop, write the same
/// grains at once; the version check lets exactly one writer per grain win, and every acknowledged state survives.
/// </summary>
public sealed class PostgresGroupCommitTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Two_silos_writing_the_same_grains_at_once_each_grain_has_one_winner_and_every_acknowledged_state_survives()
    {
        var connectionString = await postgres.CreateDatabaseAsync("groupcommit");
        var options = new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString, WarmUp = false };

        // A state written before the upgrade, by the Orleans ADO.NET provider alone.
        await using (var old = await GroupCommitSilo.StartAsync(options, legacyProvider: true))
        {
            await old.Storage().WriteStateAsync("note", GroupCommitSilo.Grain("before"), GroupCommitSilo.State("from before", 1));
        }

        const int grains = 300;
        var winners = new GrainState<NoteState>?[grains];
        await using (var cluster = await GroupCommitSilo.StartAsync(options, silos: 2))
        {
            var (left, right) = (cluster.GroupCommit(0), cluster.GroupCommit(1));
            var commitsBefore = left.Commits + right.Commits;
            var attempts = Enumerable.Range(0, grains).SelectMany(i => new[] { (Silo: left, Grain: i, Name: "left"), (Silo: right, Grain: i, Name: "right") })
                .Select(a => (a.Grain, State: GroupCommitSilo.State(a.Name, a.Grain), a.Silo))
                .ToList();
            var outcomes = await Task.WhenAll(attempts.Select(a => Task.Run(async () =>
            {
                try
                {
                    await a.Silo.WriteStateAsync("note", GroupCommitSilo.Grain($"g{a.Grain}"), a.State);
                    return (a.Grain, a.State, Won: true);
                }
                catch (InconsistentStateException)
                {
                    return (a.Grain, a.State, Won: false);
                }
            })));
            var commits = left.Commits + right.Commits - commitsBefore;
            output.WriteLine($"{attempts.Count} concurrent first writes from 2 silos: {commits} commits, largest groups {left.LargestGroup}/{right.LargestGroup}");
            foreach (var group in outcomes.GroupBy(o => o.Grain))
            {
                var won = Assert.Single(group, o => o.Won);
                Assert.Equal("1", won.State.ETag);
                winners[group.Key] = won.State;
            }

            Assert.True(commits <= attempts.Count / 5, $"{commits} commits for {attempts.Count} writes: they were not grouped");

            // The winners go on with their ETags; the old state is read through and moved over by its first write.
            await Task.WhenAll(winners.Select((w, i) =>
            {
                w!.State!.Count += 1_000;
                return (w.State.Text == "left" ? left : right).WriteStateAsync("note", GroupCommitSilo.Grain($"g{i}"), w);
            }));
            Assert.All(winners, w => Assert.Equal("2", w!.ETag));
            var before = await cluster.ReadAsync("before", silo: 1);
            Assert.Equal(("legacy:1", "from before"), (before.ETag, before.State!.Text));
            await right.WriteStateAsync("note", GroupCommitSilo.Grain("before"), before);
            Assert.Equal("2", before.ETag);
            await Assert.ThrowsAsync<InconsistentStateException>(() => left.WriteStateAsync("note", GroupCommitSilo.Grain("before"), GroupCommitSilo.State("stale", 0, etag: "legacy:1")));
        }

        // A new cluster (restarted processes) reads every acknowledged state.
        await using (var restarted = await GroupCommitSilo.StartAsync(options))
        {
            for (var i = 0; i < grains; i++)
            {
                var read = await restarted.ReadAsync($"g{i}");
                Assert.Equal(("2", winners[i]!.State!.Text, i + 1_000), (read.ETag, read.State!.Text, read.State.Count));
            }

            Assert.Equal(("2", "from before"), ((await restarted.ReadAsync("before")).ETag, (await restarted.ReadAsync("before")).State!.Text));

            // Clearing binds no payload (NULL as bytea): the row stays, empty, and its version counts on.
            var cleared = await restarted.ReadAsync("g0");
            await restarted.Storage().ClearStateAsync("note", GroupCommitSilo.Grain("g0"), cleared);
            Assert.Equal(("3", false), (cleared.ETag, cleared.RecordExists));
            var empty = await restarted.ReadAsync("g0");
            Assert.Equal(("3", false, 0), (empty.ETag, empty.RecordExists, empty.State!.Count));
            await Assert.ThrowsAsync<InconsistentStateException>(() => restarted.Storage().WriteStateAsync("note", GroupCommitSilo.Grain("g0"), GroupCommitSilo.State("late", 9, etag: "2")));
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM readiness_grain_state", connection);
        Assert.Equal(grains + 1L, (long)(await count.ExecuteScalarAsync())!);

        // Bound as the serializer's UTF-8 bytes, stored as readable JSON text.
        await using var payload = new NpgsqlCommand("SELECT payload FROM readiness_grain_state WHERE grain_id = 'note/before'", connection);
        var json = (string)(await payload.ExecuteScalarAsync())!;
        Assert.Contains("from before", json, StringComparison.Ordinal);
        using var parsed = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, parsed.RootElement.ValueKind);
        await using var clearedRow = new NpgsqlCommand("SELECT payload IS NULL FROM readiness_grain_state WHERE grain_id = 'note/g0'", connection);
        Assert.True((bool)(await clearedRow.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_state_past_the_toast_threshold_is_compressed_with_lz4_and_reads_back_whole()
    {
        var connectionString = await postgres.CreateDatabaseAsync("groupcommitlz4");
        var options = new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString, WarmUp = false };

        // ~24 KB of JSON that compresses (as a municipality's state does): stored out of line and compressed.
        var text = string.Concat(Enumerable.Range(0, 600).Select(i => $"system {i % 20} 移行 {i},"));
        await using (var silo = await GroupCommitSilo.StartAsync(options))
        {
            await silo.Storage().WriteStateAsync("note", GroupCommitSilo.Grain("large"), GroupCommitSilo.State(text, 1));
            var read = await silo.ReadAsync("large");
            Assert.Equal(text, read.State!.Text);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var method = new NpgsqlCommand(
            "SELECT pg_column_compression(payload), octet_length(payload), pg_column_size(payload) FROM readiness_grain_state WHERE grain_id = 'note/large'", connection);
        await using var reader = await method.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var (compression, length, stored) = (reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2));
        output.WriteLine($"payload {length:N0} bytes, stored {stored:N0} bytes ({compression})");
        Assert.Equal("lz4", compression);
        Assert.True(stored < length / 2, $"stored {stored} of {length} bytes");
    }
}

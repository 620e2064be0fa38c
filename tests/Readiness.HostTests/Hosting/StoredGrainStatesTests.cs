using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.HostTests.Hosting;

/// <summary>
/// <see cref="IStoredGrainStates"/> on both databases: many grains' stored states in one read, as their grains would read
/// them, and only those a grain would read from this table (reconciliation asks the grain itself for the rest).
/// </summary>
public sealed class StoredGrainStatesTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    [Fact]
    public Task On_sqlite_stored_states_are_read_in_bulk_and_absent_ones_are_left_to_their_grains()
    {
        var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false };
        return ReadsInBulkAsync(options, () =>
        {
            var connection = new SqliteConnection(SqliteSchema.ConnectionString(Path.Combine(options.ResolveDataPath(), SqliteSchema.DatabaseFileName)));
            connection.Open();
            return connection;
        }, folder);
    }

    [Fact]
    public async Task On_postgresql_stored_states_are_read_in_bulk_and_absent_ones_are_left_to_their_grains()
    {
        var connectionString = await postgres.CreateDatabaseAsync("storedstates");
        var options = new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString, WarmUp = false };
        await ReadsInBulkAsync(options, () =>
        {
            var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            return connection;
        }, null);
    }

    private async Task ReadsInBulkAsync(ReadinessOptions options, Func<DbConnection> open, IDisposable? folder)
    {
        using var _ = folder;
        // More grains than one query names, so the read goes in parts; every tenth state large enough to be compressed on SQLite.
        const int grains = GroupCommitGrainStorage.MaxGrainsPerRead + 120;
        var large = string.Concat(Enumerable.Range(0, 300).Select(i => $"第{i}業務: 移行中; "));
        string Text(int i) => i % 10 == 0 ? $"{large}{i}" : $"note {i}";

        // A state only in the table from before the upgrade: its grain reads it from there, a bulk read does not.
        await using (var old = await GroupCommitSilo.StartAsync(options, legacyProvider: true))
        {
            await old.Storage().WriteStateAsync("note", GroupCommitSilo.Grain("before"), GroupCommitSilo.State("from before", 1));
        }

        await using var silo = await GroupCommitSilo.StartAsync(options);
        var storage = silo.GroupCommit();
        await Task.WhenAll(Enumerable.Range(0, grains).Select(i => storage.WriteStateAsync("note", GroupCommitSilo.Grain($"g{i}"), GroupCommitSilo.State(Text(i), i))));
        var twice = GroupCommitSilo.State("written twice", 1);
        await storage.WriteStateAsync("note", GroupCommitSilo.Grain("twice"), twice);
        twice.State!.Count = 2;
        await storage.WriteStateAsync("note", GroupCommitSilo.Grain("twice"), twice);
        var cleared = GroupCommitSilo.State("cleared", 1);
        await storage.WriteStateAsync("note", GroupCommitSilo.Grain("cleared"), cleared);
        await storage.ClearStateAsync("note", GroupCommitSilo.Grain("cleared"), cleared);
        await storage.WriteStateAsync("other", GroupCommitSilo.Grain("other-name"), GroupCommitSilo.State("another state name", 1));
        await storage.WriteStateAsync("note", GroupCommitSilo.Grain("damaged"), GroupCommitSilo.State("about to be damaged", 1));
        using (var connection = open())
        {
            using var damage = connection.CreateCommand();
            damage.CommandText = "UPDATE readiness_grain_state SET payload = 'not JSON {' WHERE grain_id = 'note/damaged'";
            Assert.Equal(1, damage.ExecuteNonQuery());
        }

        var asked = Enumerable.Range(0, grains).Select(i => GroupCommitSilo.Grain($"g{i}"))
            .Concat(new[] { "twice", "cleared", "other-name", "damaged", "before", "never" }.Select(GroupCommitSilo.Grain))
            .Append(GroupCommitSilo.Grain("g1")) // asked twice: answered once
            .ToList();
        var read = await ((IStoredGrainStates)storage).ReadAsync<NoteState>("note", asked);
        output.WriteLine($"{options.Mode}: asked {asked.Count}, read {read.Count}");

        Assert.Equal(grains + 1, read.Count);
        for (var i = 0; i < grains; i++)
        {
            var state = read[GroupCommitSilo.Grain($"g{i}")];
            Assert.Equal((Text(i), i), (state.Text, state.Count));
        }

        Assert.Equal(("written twice", 2), (read[GroupCommitSilo.Grain("twice")].Text, read[GroupCommitSilo.Grain("twice")].Count));
        foreach (var absent in new[] { "cleared", "other-name", "damaged", "before", "never" })
        {
            Assert.False(read.ContainsKey(GroupCommitSilo.Grain(absent)), $"{absent} was read in bulk");
        }

        // What the bulk read leaves out, the grain's own read still finds or refuses as before.
        Assert.Equal("from before", (await silo.ReadAsync("before")).State!.Text);
        await Assert.ThrowsAsync<UnreadableStateException>(() => silo.ReadAsync("damaged"));
        Assert.Empty(await ((IStoredGrainStates)storage).ReadAsync<NoteState>("note", []));
    }
}

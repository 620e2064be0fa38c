using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Testing;

namespace Readiness.HostTests.Hosting;

/// <summary>
/// A data folder written before request ids left the grain state (issue 14): the applied requests are only in the
/// stored state. A restarted grain still answers them as replays, and its next write moves them into
/// readiness_applied_request, so they survive the state no longer holding them.
/// </summary>
public sealed class StoredRequestsUpgradeTests
{
    private static readonly Actor Staff = new("yamada@city.example.lg.jp", Role.Municipality, "131016");

    private static ChangeRequest Request(string id, string evidence) => new()
    {
        RequestId = id,
        Actor = Staff,
        Security = [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = evidence }],
    };

    private static SqliteConnection Open(string folder)
    {
        var connection = new SqliteConnection(SqliteSchema.ConnectionString(Path.Combine(folder, SqliteSchema.DatabaseFileName)));
        connection.Open();
        return connection;
    }

    private static long Count(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Requests_only_in_a_state_stored_before_the_table_are_replayed_and_moved_by_the_next_write()
    {
        using var folder = new TempFolder();
        var settings = new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false" };
        var old = Request("old-1", "規程第1条");
        await using (var host = new ReadinessWebHost(folder.Path, settings))
        {
            Assert.Equal(ChangeStatus.Accepted, (await host.Grains.GetGrain<IMunicipalityGrain>("131016").ApplyAsync(old)).Status);
        }

        // Make the folder look as an older release left it: the request in the state, not in the table.
        MoveToStoredState(folder.Path, "old-1");

        await using (var host = new ReadinessWebHost(folder.Path, settings))
        {
            var grain = host.Grains.GetGrain<IMunicipalityGrain>("131016");
            Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(old)).Status);
            Assert.Equal(ChangeStatus.IdempotencyKeyReused, (await grain.ApplyAsync(Request("old-1", "別の内容"))).Status);
            Assert.Equal(ChangeStatus.Accepted, (await grain.ApplyAsync(Request("new-1", "規程第2条"))).Status);
        }

        using (var db = Open(folder.Path))
        {
            // Moved with the next write, and the state holds the record only.
            Assert.Equal(2, Count(db, "SELECT COUNT(*) FROM readiness_applied_request WHERE code = '131016' AND request_id IN ('old-1', 'new-1')"));
            Assert.Equal(0, Count(db, "SELECT COUNT(*) FROM readiness_grain_state WHERE grain_id LIKE '%131016' AND payload LIKE '%old-1%'"));
        }

        await using (var host = new ReadinessWebHost(folder.Path, settings))
        {
            var grain = host.Grains.GetGrain<IMunicipalityGrain>("131016");
            Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(old)).Status);
            Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(Request("new-1", "規程第2条"))).Status);
            var recent = await grain.GetRecentChangesAsync();
            Assert.Equal(["new-1", "old-1"], recent.Select(e => e.RequestId));
            Assert.Equal(ChangeStatus.Accepted, (await grain.ApplyAsync(Request("rolled-back-1", "規程第3条"))).Status);
        }

        // An older release wrote last (a rolling upgrade, a rollback): its request is only in the state while the
        // table holds the others. Both are remembered.
        MoveToStoredState(folder.Path, "rolled-back-1");
        await using (var host = new ReadinessWebHost(folder.Path, settings))
        {
            var grain = host.Grains.GetGrain<IMunicipalityGrain>("131016");
            Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(Request("rolled-back-1", "規程第3条"))).Status);
            Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(Request("new-1", "規程第2条"))).Status);
            Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(old)).Status);
        }
    }

    /// <summary>Takes a request's row out of readiness_applied_request and adds it to the stored state's list, as an older release kept it.</summary>
    private static void MoveToStoredState(string folder, string requestId)
    {
        using var db = Open(folder);
        string fingerprint;
        long version;
        using (var read = db.CreateCommand())
        {
            read.CommandText = "SELECT fingerprint, version FROM readiness_applied_request WHERE code = '131016' AND request_id = $id";
            read.Parameters.AddWithValue("$id", requestId);
            using var row = read.ExecuteReader();
            Assert.True(row.Read());
            (fingerprint, version) = (row.GetString(0), row.GetInt64(1));
        }

        string grainId, payload;
        using (var select = db.CreateCommand())
        {
            select.CommandText = "SELECT grain_id, payload FROM readiness_grain_state WHERE grain_id LIKE '%131016'";
            using var row = select.ExecuteReader();
            Assert.True(row.Read());
            (grainId, payload) = (row.GetString(0), StatePayload.ReadJson(row.GetValue(1))!.ToString());
        }

        var state = JsonNode.Parse(payload)!.AsObject();
        var pascal = state.ContainsKey("Record");
        string Name(string camel) => pascal ? char.ToUpperInvariant(camel[0]) + camel[1..] : camel;
        var requests = state[Name("requests")] as JsonArray ?? [];
        state.Remove(Name("requests"));
        requests.Add(new JsonObject { [Name("requestId")] = requestId, [Name("fingerprint")] = fingerprint, [Name("version")] = version });
        state[Name("requests")] = requests;
        using var write = db.CreateCommand();
        write.CommandText = "UPDATE readiness_grain_state SET payload = $payload WHERE grain_id = $grain; DELETE FROM readiness_applied_request WHERE code = '131016' AND request_id = $id;";
        write.Parameters.AddWithValue("$payload", state.ToJsonString());
        write.Parameters.AddWithValue("$grain", grainId);
        write.Parameters.AddWithValue("$id", requestId);
        write.ExecuteNonQuery();
    }
}

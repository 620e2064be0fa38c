using Microsoft.Data.Sqlite;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.HostTests.Hosting;
using Readiness.Hosting;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.HostTests.Grains;

/// <summary>
/// A stored municipality row that parses but holds no record ('{}', a null record, a cleared payload) is damaged, not
/// new: it is refused like any unreadable state, never seeded again from the baseline (which would start again at
/// version 1 and overwrite the audit trail's rows from that version on).
/// </summary>
public sealed class EmptyStoredStateTests(ITestOutputHelper output)
{
    private static readonly Actor Tester = new("empty-state-test", Role.Admin, null);

    [Theory]
    [InlineData("'{}'")]
    [InlineData("'{\"Record\":null,\"Requests\":[],\"RecentChanges\":[]}'")]
    [InlineData("NULL")]
    public async Task A_stored_row_without_a_record_is_refused_and_its_audit_trail_and_row_stay_as_they_were(string payload)
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false, ReconcileInterval = TimeSpan.FromHours(1) };
        const string code = "131032";
        var businesses = ReadinessCatalog.Instance.BusinessSystems.Take(3).Select(b => b.Id).ToList();
        await using (var first = await GroupCommitSilo.StartAsync(options))
        {
            var grain = first.Cluster.Client.GetGrain<IMunicipalityGrain>(code);
            foreach (var (business, i) in businesses.Select((b, i) => (b, i)))
            {
                var outcome = await grain.ApplyAsync(new ChangeRequest
                {
                    RequestId = $"empty-{i}",
                    Actor = Tester,
                    Systems = [new SystemChange { BusinessId = business, Phase = MigrationPhase.Testing, Reason = "再計画" }],
                });
                Assert.Equal(ChangeStatus.Accepted, outcome.Status);
            }
        }

        var database = Path.Combine(options.ResolveDataPath(), SqliteSchema.DatabaseFileName);
        var (auditBefore, versionBefore) = Stored(database, code);
        Assert.Equal(3, auditBefore.Versions);
        using (var connection = Open(database))
        using (var damage = connection.CreateCommand())
        {
            damage.CommandText = $"UPDATE readiness_grain_state SET payload = {payload} WHERE grain_id = 'municipality/{code}'";
            Assert.Equal(1, damage.ExecuteNonQuery());
        }

        await using (var restarted = await GroupCommitSilo.StartAsync(options))
        {
            var grain = restarted.Cluster.Client.GetGrain<IMunicipalityGrain>(code);
            // Orleans wraps the storage's exception; the web finds it inside (UnreadableStateException.Find) and answers 500 naming it.
            var refused = UnreadableStateException.Find(await Assert.ThrowsAnyAsync<Exception>(() => grain.GetAsync()));
            Assert.NotNull(refused);
            output.WriteLine(refused.Message);
            Assert.Equal($"municipality/{code}/municipality", refused.StateKey);
            Assert.NotNull(UnreadableStateException.Find(await Assert.ThrowsAnyAsync<Exception>(() => grain.ApplyAsync(new ChangeRequest
            {
                RequestId = "after-damage",
                Actor = Tester,
                Systems = [new SystemChange { BusinessId = businesses[0], Phase = MigrationPhase.InProduction }],
            }))));

            // Its prefecture leaves it out (and says so in its log and counters), and keeps every other municipality.
            var tokyo = await restarted.Cluster.Client.GetGrain<IPrefectureGrain>("13").GetAsync();
            Assert.Equal(ReadinessCatalog.Instance.MunicipalitiesByPrefecture["13"].Count - 1, tokyo.Municipalities.Length);
            Assert.DoesNotContain(tokyo.Municipalities, m => m.Code == code);
        }

        // Nothing was written over it: the same audit rows, the same row version.
        var (auditAfter, versionAfter) = Stored(database, code);
        Assert.Equal(auditBefore, auditAfter);
        Assert.Equal(versionBefore, versionAfter);
    }

    private static SqliteConnection Open(string database)
    {
        var connection = new SqliteConnection(SqliteSchema.ConnectionString(database));
        connection.Open();
        return connection;
    }

    private static ((long Rows, long Versions) Audit, long Version) Stored(string database, string code)
    {
        using var connection = Open(database);
        using var audit = connection.CreateCommand();
        audit.CommandText = $"SELECT COUNT(*), COUNT(DISTINCT version) FROM readiness_audit WHERE municipality_code = '{code}'";
        using var reader = audit.ExecuteReader();
        reader.Read();
        var rows = (reader.GetInt64(0), reader.GetInt64(1));
        using var version = connection.CreateCommand();
        version.CommandText = $"SELECT version FROM readiness_grain_state WHERE grain_id = 'municipality/{code}'";
        return (rows, (long)version.ExecuteScalar()!);
    }
}

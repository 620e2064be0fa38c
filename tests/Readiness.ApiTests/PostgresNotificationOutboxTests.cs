using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Notifications;
using Readiness.Rules;
using Readiness.Testing;
using Readiness.Web.Notifications;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// The outbox on PostgreSQL (deploy/sql/postgresql/040-notifications.sql, cluster mode) with the product's own
/// SqlAuditLog and NotificationStore: two dispatchers derive from the same audit rows at once (one moves the position,
/// the other's look-back re-read inserts nothing twice), two nodes claim the due rows at once (each row leased by
/// one), and everything is delivered once.
/// </summary>
public sealed class PostgresNotificationOutboxTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static readonly DateOnly Today = new(2026, 11, 30);

    private static readonly NotificationRecipient[] People =
    [
        new("pref13@x", "pref13@x", Role.Prefecture, "13"),
        new("chiyoda@x", "chiyoda@x", Role.Municipality, "131016"),
        new("osaka@x", "osaka@x", Role.Prefecture, "27"),
    ];

    /// <summary>
    /// On PostgreSQL, eight registrations of one URL and tenant at once store one endpoint (the others get it back as the
    /// existing one); stopping it twice stops it once; an unknown id is unknown. Round 49: the look and the insert were
    /// two steps with no lock, so duplicates were stored.
    /// </summary>
    [Fact]
    public async Task One_webhook_per_url_and_tenant_on_postgresql_and_stopping_is_idempotent()
    {
        var connectionString = await postgres.CreateDatabaseAsync("webhooks");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            foreach (var file in new[] { "020-audit.sql", "021-audit-fields.sql", "040-notifications.sql" })
            {
                await using var command = new NpgsqlCommand(await File.ReadAllTextAsync(Path.Combine(RepositoryFolder.Root, "deploy", "sql", "postgresql", file)), connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        var store = new NotificationStore(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString }), new ServiceCollection().BuildServiceProvider());
        var at = DateTimeOffset.UtcNow;
        var existing = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            store.AddWebhookAsync(new NotificationStore.WebhookEndpoint($"wh_pg{i}", "13", "https://hooks.example/pg", "whsec_x", "pg@x", at, true))));
        Assert.Equal(7, existing.Count(e => e is not null));
        var stored = Assert.Single(await store.WebhooksAsync());
        Assert.All(existing.Where(e => e is not null), e => Assert.Equal(stored.Id, e!.Id));
        Assert.Null(await store.AddWebhookAsync(new NotificationStore.WebhookEndpoint("wh_pg27", "27", "https://hooks.example/pg", "whsec_y", "pg@x", at, true)));

        Assert.Equal(NotificationStore.WebhookStop.Stopped, await store.DeactivateWebhookAsync(stored.Id));
        Assert.Equal(NotificationStore.WebhookStop.AlreadyStopped, await store.DeactivateWebhookAsync(stored.Id));
        Assert.Equal(NotificationStore.WebhookStop.Unknown, await store.DeactivateWebhookAsync("wh_none"));
        Assert.Null(await store.AddWebhookAsync(new NotificationStore.WebhookEndpoint("wh_again", "13", "https://hooks.example/pg", "whsec_z", "pg@x", at, true)));
    }

    [Fact]
    public async Task Derive_and_deliver_on_postgresql_without_duplicates()
    {
        var connectionString = await postgres.CreateDatabaseAsync("notifications");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            foreach (var file in new[] { "020-audit.sql", "021-audit-fields.sql", "040-notifications.sql" })
            {
                await using var command = new NpgsqlCommand(await File.ReadAllTextAsync(Path.Combine(RepositoryFolder.Root, "deploy", "sql", "postgresql", file)), connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        var storage = StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString });
        var audit = new SqlAuditLog(storage);
        var store = new NotificationStore(storage, new ServiceCollection().BuildServiceProvider());
        Assert.False(store.IsSqlite);
        Assert.Equal("0", await store.GetOrAddStateAsync(NotificationStore.PositionName, "0"));

        // 40 regressions in 東京都 (千代田区 and 中央区 alternately) and 10 in 大阪市, written concurrently.
        var at = DateTimeOffset.UtcNow;
        var codes = Enumerable.Range(0, 50).Select(i => i < 40 ? (i % 2 == 0 ? "131016" : "131024") : "271004").ToList();
        await Task.WhenAll(codes.GroupBy(c => c).Select(async group =>
        {
            // One municipality's versions in order (as its grain writes them); the municipalities concurrently.
            var version = 0L;
            foreach (var code in group)
            {
                version++;
                await audit.RecordAsync(code, version, [new ChangeEntry
                {
                    MunicipalityCode = code, Version = version, At = at, Actor = new Actor("staff", Role.Municipality, code), RequestId = $"r{version}-{code}", Target = "system:koseki", ClientAddress = "127.0.0.1",
                    BeforeFields = AuditFields.Of(new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.InProduction }),
                    AfterFields = AuditFields.Of(new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, Regression = true, RegressionReason = "再計画" }),
                }]);
            }
        }));

        // Two dispatchers at once from the same stored position: one commits, the other finds the position moved.
        var results = await Task.WhenAll(DeriveAsync(store), DeriveAsync(store));
        Assert.Single(results, r => r.Committed);
        var position = long.Parse((await store.GetStateAsync(NotificationStore.PositionName))!, CultureInfo.InvariantCulture);
        Assert.Equal(50, position);

        // The loser runs again: its look-back re-reads the same rows and inserts nothing new.
        var again = await DeriveAsync(store);
        Assert.True(again.Committed || again.Read == 0);
        var counts = await store.CountsAsync();
        var planned = results.Single(r => r.Committed).Planned;
        Assert.Equal(planned, counts.Values.Sum());
        output.WriteLine($"PostgreSQL: 50 audit rows → {planned} outbox rows: {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}");

        // Each event: regression and newly overdue; 東京都's staff all 40 Tokyo rows, 千代田区's staff its 20, 大阪府's its 10; mail and in-app each.
        Assert.Equal(((40 + 20 + 10) * 2) * 2, planned);

        // Two nodes claim the due mail rows at once: each row is leased by exactly one.
        var now = DateTimeOffset.UtcNow;
        var claims = await Task.WhenAll(store.ClaimDueAsync(now, TimeSpan.FromMinutes(2), 1000), store.ClaimDueAsync(now, TimeSpan.FromMinutes(2), 1000));
        var ids = claims.SelectMany(c => c.Select(r => r.Id)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(counts[NotificationStore.Pending], ids.Count);
        Assert.Empty(await store.ClaimDueAsync(now, TimeSpan.FromMinutes(2), 1000)); // leased: nobody else takes them
        foreach (var id in ids)
        {
            await store.MarkDeliveredAsync(id, now);
        }

        var after = await store.CountsAsync();
        Assert.Equal(0, after[NotificationStore.Pending]); // every status is counted, 0 when none
        Assert.Equal(NotificationStore.Statuses.Order(), after.Keys.Order());
        Assert.Equal(planned, after[NotificationStore.Delivered]);
        Assert.Empty(await store.ClaimDueAsync(now.AddHours(1), TimeSpan.FromMinutes(2), 1000));
    }

    [Fact]
    public async Task The_look_back_rereads_only_where_a_position_was_missing()
    {
        var connectionString = await postgres.CreateDatabaseAsync("notifications_lookback");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var file in new[] { "020-audit.sql", "021-audit-fields.sql", "040-notifications.sql" })
        {
            await using var command = new NpgsqlCommand(await File.ReadAllTextAsync(Path.Combine(RepositoryFolder.Root, "deploy", "sql", "postgresql", file)), connection);
            await command.ExecuteNonQueryAsync();
        }

        var store = new NotificationStore(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = connectionString }), new ServiceCollection().BuildServiceProvider());
        var version = 0;
        async Task InsertAsync(NpgsqlConnection on, NpgsqlTransaction? transaction = null)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO readiness_audit (municipality_code, version, target, at_utc, actor_subject, actor_role, request_id) VALUES ('131016', @v, 'system:koseki', now(), 'staff', 'municipality', 'r')",
                on, transaction);
            insert.Parameters.AddWithValue("v", ++version);
            await insert.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 5; i++)
        {
            await InsertAsync(connection); // positions 1–5
        }

        // Position 6 is taken by a transaction still in flight; 7–9 commit before it.
        await using var late = new NpgsqlConnection(connectionString);
        await late.OpenAsync();
        await using var inFlight = await late.BeginTransactionAsync();
        await InsertAsync(late, inFlight);
        for (var i = 0; i < 3; i++)
        {
            await InsertAsync(connection);
        }

        static long[] Positions(AuditWindow w) => [.. w.SystemRows.Select(r => r.Position)];
        var first = await store.ReadAuditAsync(0, 1000, 500, complete: 0);
        Assert.Equal((8, 9L), (first.NewRows, first.End));
        Assert.Equal([1, 2, 3, 4, 5, 7, 8, 9], Positions(first));
        Assert.Equal(0, first.Complete); // a gap at 6: the next window looks back from the start again

        await inFlight.CommitAsync();
        await InsertAsync(connection); // 10
        var second = await store.ReadAuditAsync(9, 1000, 500, first.Complete);
        Assert.Equal((1, 10L), (second.NewRows, second.End));
        Assert.Contains(6, Positions(second)); // the late row is found
        Assert.Equal(10, second.Complete);     // and nothing up to 10 can appear any more

        await InsertAsync(connection); // 11
        var third = await store.ReadAuditAsync(10, 1000, 500, second.Complete);
        Assert.Equal((1, 11L), (third.NewRows, third.End));
        Assert.Equal([11], Positions(third)); // no look-back re-read
        Assert.Equal(11, third.Complete);

        // A caller that knows nothing (another node, a restart) looks back the whole window, as before.
        var cold = await store.ReadAuditAsync(10, 1000, 500, complete: 0);
        Assert.Equal(11, Positions(cold).Length);
    }

    /// <summary>One derivation step as the dispatcher does it (NotificationDispatcher.DeriveOnceAsync, without the accounts database).</summary>
    private static async Task<(bool Committed, int Read, int Planned)> DeriveAsync(NotificationStore store)
    {
        var position = long.Parse((await store.GetStateAsync(NotificationStore.PositionName))!, CultureInfo.InvariantCulture);
        var window = await store.ReadAuditAsync(position, 1000, 500);
        if (window.NewRows == 0)
        {
            return (false, 0, 0);
        }

        var planned = window.SystemRows.SelectMany(r => NotificationRules.Derive(r, Today)).SelectMany(e => NotificationRules.Plan(e, People, (_, k) => NotificationPreference.Default(k), [])).ToList();
        var committed = await store.CommitDerivedAsync(position, window.End, planned, DateTimeOffset.UtcNow);
        return (committed, window.NewRows, planned.Count);
    }
}

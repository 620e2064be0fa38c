using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Storage;
using Readiness.Hosting;
using Readiness.Testing;

namespace Readiness.ClusterTests;

/// <summary>The project's own PostgreSQL schema, and the Orleans ADO.NET grain storage provider running on it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SchemaTests(PostgresServer postgres)
{
    [Fact]
    public void Scripts_are_the_numbered_files_of_deploy_sql_postgresql_in_order()
    {
        var names = PostgresSchema.Scripts.Select(s => s.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(Directory.GetFiles(Path.Combine(Binaries.RepositoryRoot, "deploy", "sql", "postgresql"), "*.sql").Select(Path.GetFileName).Order(StringComparer.Ordinal), names);
        Assert.Equal([1, 2, 3, 4], PostgresSchema.Scripts.Select(s => s.Version).Take(4));
    }

    [Fact]
    public async Task Applying_twice_is_harmless()
    {
        var db = await postgres.CreateDatabaseAsync("schema_twice");
        Assert.Equal(PostgresSchema.Scripts.Count, PostgresSchema.Apply(db));
        var before = await DescribeAsync(db);
        Assert.Equal(0, PostgresSchema.Apply(db));
        Assert.Equal(before, await DescribeAsync(db));
        Assert.Equal(PostgresSchema.Scripts.Select(s => s.Version), PostgresSchema.AppliedVersions(db));
    }

    [Fact]
    public async Task Silos_starting_together_apply_each_script_exactly_once()
    {
        var db = await postgres.CreateDatabaseAsync("schema_race");
        var applied = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => PostgresSchema.Apply(db))));
        Assert.Equal(PostgresSchema.Scripts.Count, applied.Sum());
        Assert.Equal(PostgresSchema.Scripts.Select(s => s.Version), PostgresSchema.AppliedVersions(db));
    }

    [Fact]
    public async Task A_script_changed_after_it_was_applied_is_refused()
    {
        var db = await postgres.CreateDatabaseAsync("schema_edit");
        PostgresSchema.Apply(db);
        await ExecuteAsync(db, $"UPDATE {PostgresSchema.VersionTable} SET checksum = repeat('0', 64) WHERE version = 2");
        var error = Assert.Throws<InvalidOperationException>(() => PostgresSchema.Apply(db));
        Assert.Contains("002-", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_a_newer_version_migrated_is_refused_with_the_reason()
    {
        var db = await postgres.CreateDatabaseAsync("schema_newer");
        PostgresSchema.Apply(db);
        var future = PostgresSchema.Scripts[^1].Version + 1;
        await ExecuteAsync(db, $"INSERT INTO {PostgresSchema.VersionTable} (version, script, checksum) VALUES ({future}, '999-future.sql', repeat('0', 64))");
        var error = Assert.Throws<NewerSchemaException>(() => PostgresSchema.Apply(db));
        Assert.Contains($"schema version {future}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_grain_storage_provider_round_trips_state_and_refuses_a_stale_version()
    {
        var db = await postgres.CreateDatabaseAsync("schema_storage");
        PostgresSchema.Apply(db);
        using var host = await StartStorageHostAsync(db);
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>("probe");
        var id = GrainId.Create("probe", "011002");

        // Nothing stored yet: no record, no version.
        var fresh = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("probe-state", id, fresh);
        Assert.False(fresh.RecordExists);
        Assert.Null(fresh.ETag);

        // Round trip: what is written is what is read back, with its version.
        var writer = new GrainState<ProbeState>(new ProbeState { Text = "一回目 first", Count = 1 });
        await storage.WriteStateAsync("probe-state", id, writer);
        Assert.Equal("1", writer.ETag);
        var reader = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("probe-state", id, reader);
        Assert.True(reader.RecordExists);
        Assert.Equal("1", reader.ETag);
        Assert.Equal(writer.State, reader.State);

        // Two holders of version 1: the first write wins, the second is refused and overwrites nothing.
        var stale = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("probe-state", id, stale);
        writer.State = new ProbeState { Text = "二回目 second", Count = 2 };
        await storage.WriteStateAsync("probe-state", id, writer);
        Assert.Equal("2", writer.ETag);
        stale.State = new ProbeState { Text = "stale", Count = -1 };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe-state", id, stale));
        await storage.ReadStateAsync("probe-state", id, reader);
        Assert.Equal(new ProbeState { Text = "二回目 second", Count = 2 }, reader.State);
        Assert.Equal("2", reader.ETag);

        // A second "first write" (a duplicate activation that never read) is refused as well.
        var duplicate = new GrainState<ProbeState>(new ProbeState { Text = "duplicate", Count = 99 });
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe-state", id, duplicate));

        // Clearing moves the version on, so even a clear cannot be undone by the stale holder.
        await storage.ClearStateAsync("probe-state", id, writer);
        Assert.Equal("3", writer.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("probe-state", id, stale));
        await storage.ReadStateAsync("probe-state", id, reader);
        Assert.False(reader.RecordExists);
        Assert.Equal(new ProbeState(), reader.State);

        // Other grains and other services are separate rows.
        var other = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("probe-state", GrainId.Create("probe", "011002#2"), other);
        Assert.False(other.RecordExists);
        Assert.Equal(1L, await ScalarAsync(db, "SELECT count(*) FROM orleans_grain_state"));
    }

    private static async Task<IHost> StartStorageHostAsync(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(PostgresServer.FreePort(), PostgresServer.FreePort(), serviceId: "schema-test", clusterId: "schema-test");
            silo.AddAdoNetGrainStorage("probe", o =>
            {
                o.Invariant = SiloHosting.PostgresInvariant;
                o.ConnectionString = connectionString;
            });
            silo.UseSystemTextJsonGrainStorageSerializer();
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<string> DescribeAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, ordinal_position)
                || '|' || (SELECT string_agg(QueryKey || '=' || md5(QueryText), ',' ORDER BY QueryKey) FROM OrleansQuery)
                || '|' || (SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) FROM readiness_schema_version)
            FROM information_schema.columns WHERE table_schema = 'public'
            """, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string db, string sql)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(string db, string sql)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed record ProbeState
{
    public string Text { get; set; } = "";

    public int Count { get; set; }
}

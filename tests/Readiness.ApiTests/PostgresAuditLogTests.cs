using System.Diagnostics;
using Npgsql;
using Readiness.Grains;
using Readiness.Hosting;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>A throw-away PostgreSQL 15 cluster (initdb as the postgres user, free port, trust auth on loopback).</summary>
public sealed class PostgresInstance : IAsyncLifetime
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string folder = Path.Combine(Path.GetTempPath(), "readiness-apitests-pg-" + Guid.NewGuid().ToString("N")[..8]);

    public string ConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var port = ApiHost.FreePort();
        Directory.CreateDirectory(folder);
        await Run("chown", "-R", "postgres:postgres", folder);
        await AsPostgres($"{Bin}/initdb", "-D", Path.Combine(folder, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        await AsPostgres($"{Bin}/pg_ctl", "-D", Path.Combine(folder, "data"), "-l", Path.Combine(folder, "log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    public async Task DisposeAsync()
    {
        await AsPostgres($"{Bin}/pg_ctl", "-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "stop");
        Directory.Delete(folder, recursive: true);
    }

    private static Task AsPostgres(params string[] command) =>
        Environment.UserName == "root" ? Run("runuser", ["-u", "postgres", "--", .. command]) : Run(command[0], command[1..]);

    private static async Task Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await output} {await error}");
        }
    }
}

/// <summary>The cluster-mode audit table (deploy/sql/postgresql/020-audit.sql) with the same SqlAuditLog the grains use.</summary>
public sealed class PostgresAuditLogTests(PostgresInstance postgres) : IClassFixture<PostgresInstance>
{
    private static readonly string Script = File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "sql", "postgresql", "020-audit.sql"));

    [Fact]
    public async Task Audit_log_records_reads_pages_and_replaces_incomplete_writes_on_postgresql()
    {
        await Apply();
        await Apply(); // the script is idempotent
        var audit = new SqlAuditLog(StorageConnection.For(new ReadinessOptions { Mode = HostingMode.Cluster, ConnectionString = postgres.ConnectionString }));
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
        await audit.RecordAsync(code, 3, [Entry(code, 3, at, actor, "r3", "security:SEC-2-01", null, "status=partial")]);
        var all = await audit.ReadAsync(code, long.MaxValue, null, 100);
        Assert.Equal(4, all.Total);
        Assert.DoesNotContain(all.Entries, e => e.Actor.Subject == "ghost");
        Assert.Equal(2, (await audit.FindRequestAsync(code, "r2", 3)).Length);

        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var update = new NpgsqlCommand("UPDATE readiness_audit SET actor_subject = 'someone else'", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
    }

    private async Task Apply()
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Script, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static ChangeEntry Entry(string code, long version, DateTimeOffset at, Actor actor, string requestId, string target, string? before, string after) => new()
    {
        MunicipalityCode = code, Version = version, At = at, Actor = actor, RequestId = requestId, Target = target, Before = before, After = after, ClientAddress = "127.0.0.1",
    };

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Readiness.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Readiness.sln not found above " + AppContext.BaseDirectory);
    }
}

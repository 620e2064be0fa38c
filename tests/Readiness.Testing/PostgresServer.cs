using System.Diagnostics;
using Npgsql;
using Xunit;

namespace Readiness.Testing;

/// <summary>
/// A real PostgreSQL server for the tests: initdb into a temporary folder and pg_ctl on a free loopback port, as the
/// postgres user when the tests run as root (initdb and pg_ctl refuse root). Each test takes its own database.
/// Needs only the server binaries (Debian: postgresql-15, /usr/lib/postgresql/15/bin; or PG_BIN=/path/to/bin).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string User = "readiness";

    private readonly string root = Directory.CreateTempSubdirectory("readiness-pg-").FullName;
    private string binDir = "";

    public int Port { get; private set; }

    public string DataDir => Path.Combine(root, "data");

    public string LogFile => Path.Combine(root, "postgres.log");

    public bool Running { get; private set; }

    public static bool AsRoot => Environment.UserName == "root";

    public async Task InitializeAsync()
    {
        binDir = FindBinaries();
        Port = FreePort();
        if (AsRoot)
        {
            // The postgres user must own the folder it initialises and reach the socket/log folder.
            await RunAsync("chown", ["postgres:postgres", root]);
        }

        await RunAsPostgresAsync(Path.Combine(binDir, "initdb"), ["-D", DataDir, "-U", User, "--auth=trust", "-E", "UTF8", "--locale=C"]);
        await StartAsync();
    }

    public async Task StartAsync()
    {
        await RunAsPostgresAsync(Path.Combine(binDir, "pg_ctl"),
            ["-D", DataDir, "-l", LogFile, "-w", "-t", "60", "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {root} -c max_connections=300", "start"]);
        Running = true;
        // Pooled connections of this process died with the previous server.
        NpgsqlConnection.ClearAllPools();
    }

    public async Task StopAsync()
    {
        await RunAsPostgresAsync(Path.Combine(binDir, "pg_ctl"), ["-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop"]);
        Running = false;
    }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Database = database,
        Timeout = 5,
    }.ToString();

    /// <summary>A fresh, empty database for one test.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        if (Running)
        {
            try
            {
                await RunAsPostgresAsync(Path.Combine(binDir, "pg_ctl"), ["-D", DataDir, "-m", "immediate", "-w", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Already down; the folder goes anyway.
            }
        }

        NpgsqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static int FreePort() => TestPorts.Free();

    /// <summary>A client tool of the same server version (pg_dump, pg_restore, psql): its full path.</summary>
    public string Tool(string name) => Path.Combine(binDir, name);

    private static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("PG_BIN");
        var candidates = configured is { Length: > 0 }
            ? [configured]
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin")).ToArray()
                : [];
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql-15, or set PG_BIN.");
    }

    private Task RunAsPostgresAsync(string file, string[] args) =>
        AsRoot ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await error} {await output}");
        }
    }
}

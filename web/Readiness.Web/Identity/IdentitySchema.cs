using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Readiness.Web.Identity;

/// <summary>
/// Creates the identity tables at start-up when they are missing. Not EnsureCreated: that does nothing on a database
/// that already has tables (the Orleans and audit tables are there first), so the creator's CreateTables runs instead,
/// once, when readiness_users does not exist yet. On PostgreSQL a session advisory lock lets one web node create them
/// while the others wait. Not EF migrations: they are per provider and need design-time tooling in the build.
/// A table added to the model later (readiness_user_passkeys, readiness_sessions) is created on a database made by an
/// earlier version from EF's own create script for the provider, keeping only that table's CREATE TABLE and CREATE
/// INDEX statements; a change to an existing table's columns would still need a numbered script (see docs/identity.md).
/// </summary>
public static class IdentitySchema
{
    /// <summary>The advisory lock key (any constant distinct from the Orleans schema's).</summary>
    private const long PostgresLockKey = 0x5265616469_6964;

    /// <summary>Returns true when the tables were created now (all of them, or the ones added since the database was made).</summary>
    public static async Task<bool> EnsureAsync(IdentityDb db, CancellationToken cancellationToken = default)
    {
        var postgres = db.Database.IsNpgsql();
        DbConnection? lockConnection = null;
        var locked = false;
        try
        {
            if (postgres)
            {
                lockConnection = new NpgsqlConnection(db.Database.GetConnectionString());
                await lockConnection.OpenAsync(cancellationToken);
                await using var take = lockConnection.CreateCommand();
                take.CommandText = $"SELECT pg_advisory_lock({PostgresLockKey})";
                await take.ExecuteNonQueryAsync(cancellationToken);
                locked = true;
            }

            if (await TableExistsAsync(db, postgres, "readiness_users", cancellationToken))
            {
                return await AddMissingTablesAsync(db, postgres, cancellationToken) > 0;
            }

            await db.GetService<IRelationalDatabaseCreator>().CreateTablesAsync(cancellationToken);
            return true;
        }
        finally
        {
            if (lockConnection is not null)
            {
                // Unlocked explicitly: disposing returns the connection to Npgsql's pool, where the session (and with
                // it a session-level advisory lock) lives on, and the next start's lock would wait for ever. Only when
                // taken, on a connection still open: else the unlock's "Connection is not open" would replace the
                // real failure (PostgreSQL unreachable), and a closed session holds no lock anyway.
                if (locked && lockConnection.State == ConnectionState.Open)
                {
                    await using var release = lockConnection.CreateCommand();
                    release.CommandText = $"SELECT pg_advisory_unlock({PostgresLockKey})";
                    await release.ExecuteNonQueryAsync(CancellationToken.None);
                }

                await lockConnection.DisposeAsync();
            }
        }
    }

    /// <summary>Creates the model's tables that the database lacks (with their indexes); returns how many.</summary>
    private static async Task<int> AddMissingTablesAsync(IdentityDb db, bool postgres, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        foreach (var table in db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (!await TableExistsAsync(db, postgres, table, cancellationToken))
            {
                missing.Add(table);
            }
        }

        if (missing.Count == 0)
        {
            return 0;
        }

        var statements = CreateStatements(db.Database.GenerateCreateScript(), missing);
        if (statements.Count(st => st.StartsWith("CREATE TABLE", StringComparison.Ordinal)) != missing.Count)
        {
            throw new InvalidOperationException($"The create script has no CREATE TABLE for every missing identity table ({string.Join(", ", missing)}).");
        }

        foreach (var statement in statements)
        {
            await db.Database.ExecuteSqlRawAsync(statement, cancellationToken);
        }

        return missing.Count;
    }

    /// <summary>
    /// The CREATE TABLE and CREATE INDEX statements of <paramref name="tables"/> in a provider's create script (pure).
    /// Names may be quoted or not (Npgsql quotes only names that need it).
    /// </summary>
    public static IReadOnlyList<string> CreateStatements(string script, IReadOnlyCollection<string> tables) =>
        [.. script.Split(";", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => tables.Any(t =>
                System.Text.RegularExpressions.Regex.IsMatch(s, $@"^CREATE TABLE ""?{System.Text.RegularExpressions.Regex.Escape(t)}""?\s*\(")
                || System.Text.RegularExpressions.Regex.IsMatch(s, $@"^CREATE (UNIQUE )?INDEX .*\sON ""?{System.Text.RegularExpressions.Regex.Escape(t)}""?\s*\(", System.Text.RegularExpressions.RegexOptions.Singleline)))];

    private static async Task<bool> TableExistsAsync(IdentityDb db, bool postgres, string table, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = postgres
                ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @name"
                : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @name";
            var name = command.CreateParameter();
            name.ParameterName = "@name";
            name.Value = table;
            command.Parameters.Add(name);
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }
}

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
/// while the others wait. Not EF migrations: they are per provider and need design-time tooling in the build; a later
/// change to these tables needs a numbered script like the rest of the schema (see docs/identity.md).
/// </summary>
public static class IdentitySchema
{
    /// <summary>The advisory lock key (any constant distinct from the Orleans schema's).</summary>
    private const long PostgresLockKey = 0x5265616469_6964;

    /// <summary>Returns true when the tables were created now.</summary>
    public static async Task<bool> EnsureAsync(IdentityDb db, CancellationToken cancellationToken = default)
    {
        var postgres = db.Database.IsNpgsql();
        DbConnection? lockConnection = null;
        try
        {
            if (postgres)
            {
                lockConnection = new NpgsqlConnection(db.Database.GetConnectionString());
                await lockConnection.OpenAsync(cancellationToken);
                await using var take = lockConnection.CreateCommand();
                take.CommandText = $"SELECT pg_advisory_lock({PostgresLockKey})";
                await take.ExecuteNonQueryAsync(cancellationToken);
            }

            if (await TableExistsAsync(db, postgres, cancellationToken))
            {
                return false;
            }

            await db.GetService<IRelationalDatabaseCreator>().CreateTablesAsync(cancellationToken);
            return true;
        }
        finally
        {
            if (lockConnection is not null)
            {
                await lockConnection.DisposeAsync(); // ends the session and with it the lock
            }
        }
    }

    private static async Task<bool> TableExistsAsync(IdentityDb db, bool postgres, CancellationToken cancellationToken)
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
                ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'readiness_users'"
                : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'readiness_users'";
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

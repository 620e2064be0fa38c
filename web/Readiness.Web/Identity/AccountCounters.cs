using Microsoft.EntityFrameworkCore;

namespace Readiness.Web.Identity;

/// <summary>
/// Account-level limits counted in the identity database (table <see cref="Table"/>), so that a limit such as "3 reset
/// mails an hour per account" holds across every web node rather than once per node. One atomic upsert per count
/// (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on SQLite 3.35+ and PostgreSQL): two nodes counting at once get
/// different numbers. Windows are fixed and aligned to the clock (e.g. 10:00-11:00 UTC).
/// </summary>
public sealed class AccountCounters(IdentityDb db, TimeProvider time)
{
    public const string Table = "readiness_account_counters";

    /// <summary>How long a spent window's row is kept before it is deleted (a day: the longest window in use is an hour).</summary>
    private static readonly TimeSpan Keep = TimeSpan.FromDays(1);

    /// <summary>
    /// Counts one more against <paramref name="key"/> in the current window of <paramref name="window"/> (at least a
    /// second) and says whether the count is still within <paramref name="limit"/> (at least 1). A refused attempt is
    /// counted too, which changes nothing: it stays refused until the window ends.
    /// </summary>
    public async Task<bool> TryCountAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var length = Math.Max(1, (long)window.TotalSeconds);
        var start = now - (now % length);
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        try
        {
            await using (var prune = connection.CreateCommand())
            {
                prune.CommandText = $"DELETE FROM {Table} WHERE \"WindowStart\" < @old";
                Add(prune, "@old", now - (long)Keep.TotalSeconds);
                await prune.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var count = connection.CreateCommand();
            count.CommandText = $"""
                INSERT INTO {Table} ("Key", "WindowStart", "Count") VALUES (@key, @start, 1)
                ON CONFLICT ("Key", "WindowStart") DO UPDATE SET "Count" = {Table}."Count" + 1
                RETURNING "Count"
                """;
            Add(count, "@key", key);
            Add(count, "@start", start);
            var counted = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            return counted <= Math.Max(1, limit);
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    private static void Add(System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

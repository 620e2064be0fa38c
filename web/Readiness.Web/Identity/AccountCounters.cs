using Microsoft.EntityFrameworkCore;

namespace Readiness.Web.Identity;

/// <summary>
/// Account-level limits counted in the identity database (table <see cref="Table"/>), so that a limit such as "3 reset
/// mails an hour per account" holds across every web node rather than once per node. One atomic upsert per count
/// (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on SQLite 3.35+ and PostgreSQL): two nodes counting at once get
/// different numbers. Windows are fixed and aligned to the clock (e.g. 10:00-11:00 UTC). A claim
/// (<see cref="TryClaimAsync"/>) is the exception: it holds for a fixed time from its own first use.
/// </summary>
public sealed class AccountCounters(IdentityDb db, TimeProvider time)
{
    public const string Table = "readiness_account_counters";

    /// <summary>How long a spent window's row is kept before it is deleted (a day: the longest window in use is an hour), and the longest a claim holds.</summary>
    public static readonly TimeSpan Keep = TimeSpan.FromDays(1);

    /// <summary>
    /// The WindowStart of a claim's row (<see cref="TryClaimAsync"/>): no counting window starts before 1970, so a claim
    /// never shares a row with a count. Its Count holds when it was made, in seconds since <see cref="ClaimEpoch"/>.
    /// </summary>
    public const long ClaimMark = -1;

    /// <summary>2020-01-01T00:00:00Z in Unix seconds: a claim's time counted from here fits the 32-bit Count until 2088.</summary>
    public const long ClaimEpoch = 1_577_836_800;

    /// <summary>
    /// Counts one more against <paramref name="key"/> in the current window of <paramref name="window"/> (at least a
    /// second) and says whether the count is still within <paramref name="limit"/> (at least 1). A refused attempt is
    /// counted too, which changes nothing: it stays refused until the window ends.
    /// </summary>
    public async Task<bool> TryCountAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken = default)
    {
        var length = Math.Max(1, (long)window.TotalSeconds);
        return await RunAsync(async (connection, now) =>
        {
            await using var count = connection.CreateCommand();
            count.CommandText = $"""
                INSERT INTO {Table} ("Key", "WindowStart", "Count") VALUES (@key, @start, 1)
                ON CONFLICT ("Key", "WindowStart") DO UPDATE SET "Count" = {Table}."Count" + 1
                RETURNING "Count"
                """;
            Add(count, "@key", key);
            Add(count, "@start", now - (now % length));
            var counted = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            return counted <= Math.Max(1, limit);
        }, cancellationToken);
    }

    /// <summary>
    /// Claims <paramref name="key"/> for <paramref name="hold"/> (1 second to <see cref="Keep"/>) from now: true when it
    /// was not claimed, or its claim was made at least <paramref name="hold"/> ago (it is then claimed anew from now);
    /// false while a claim holds (which leaves that claim's time as it was). One atomic upsert, so of two nodes claiming
    /// at once exactly one gets true: the claim's row is updated only when its time has passed, and RETURNING gives a row
    /// only when it was inserted or updated.
    /// </summary>
    public async Task<bool> TryClaimAsync(string key, TimeSpan hold, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hold, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hold, Keep);
        return await RunAsync(async (connection, now) =>
        {
            await using var claim = connection.CreateCommand();
            claim.CommandText = $"""
                INSERT INTO {Table} ("Key", "WindowStart", "Count") VALUES (@key, @mark, @at)
                ON CONFLICT ("Key", "WindowStart") DO UPDATE SET "Count" = excluded."Count"
                WHERE {Table}."Count" <= excluded."Count" - @hold
                RETURNING "Count"
                """;
            Add(claim, "@key", key);
            Add(claim, "@mark", ClaimMark);
            Add(claim, "@at", checked((int)(now - ClaimEpoch)));
            Add(claim, "@hold", (int)hold.TotalSeconds);
            return await claim.ExecuteScalarAsync(cancellationToken) is not (null or DBNull);
        }, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="statement"/> on the identity database's connection (opened for it unless already open) with
    /// the current time in Unix seconds, after pruning what is past keeping.
    /// </summary>
    private async Task<T> RunAsync<T>(Func<System.Data.Common.DbConnection, long, Task<T>> statement, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        try
        {
            await PruneAsync(connection, now, cancellationToken);
            return await statement(connection, now);
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    /// <summary>Deletes the rows of windows that ended more than <see cref="Keep"/> ago and the claims made that long ago.</summary>
    private static async Task PruneAsync(System.Data.Common.DbConnection connection, long now, CancellationToken cancellationToken)
    {
        await using var prune = connection.CreateCommand();
        prune.CommandText = $"""
            DELETE FROM {Table} WHERE ("WindowStart" >= 0 AND "WindowStart" < @old) OR ("WindowStart" = @mark AND "Count" < @oldClaim)
            """;
        Add(prune, "@old", now - (long)Keep.TotalSeconds);
        Add(prune, "@mark", ClaimMark);
        Add(prune, "@oldClaim", checked((int)(now - ClaimEpoch - (long)Keep.TotalSeconds)));
        await prune.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add(System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

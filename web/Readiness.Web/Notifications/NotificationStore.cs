using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Readiness.Catalog;
using Readiness.Hosting;
using Readiness.Notifications;
using Readiness.Rules;

namespace Readiness.Web.Notifications;

/// <summary>
/// The event as stored in the outbox and sent as a webhook body (Standard Webhooks' recommended shape: type,
/// timestamp, data). Names as in the API (municipalityCode, businessId, phase wire names).
/// </summary>
public sealed record NotificationPayload(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("data")] NotificationData Data);

public sealed record NotificationData(
    string MunicipalityCode,
    string MunicipalityName,
    string PrefectureCode,
    string PrefectureName,
    string? BusinessId,
    string? BusinessNameJa,
    string? BusinessNameEn,
    long Version,
    string? PhaseBefore,
    string? PhaseAfter,
    string? Reason,
    string? Actor,
    DateTimeOffset? LastReportedAt = null,
    int? Days = null,
    string? Measure = null,
    double? Value = null,
    double? Threshold = null);

/// <summary>One outbox row as read back.</summary>
public sealed record OutboxRow(
    string Id,
    NotificationKind Kind,
    NotificationChannel Channel,
    string Recipient,
    string? Address,
    string Language,
    string? MunicipalityCode,
    string? PrefectureCode,
    long AuditPosition,
    string Payload,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? ReadAt)
{
    public NotificationPayload? Event => JsonSerializer.Deserialize<NotificationPayload>(Payload, NotificationStore.Json);
}

/// <summary>
/// The notification tables (Sql/sqlite/020-notifications.sql, deploy/sql/postgresql/040-notifications.sql) with SQL
/// that both SQLite and PostgreSQL accept. Times are Unix milliseconds. On SQLite every write takes the product's
/// write gate (one writer at a time, waited for asynchronously).
/// </summary>
public sealed class NotificationStore(IStorageConnection storage, IServiceProvider services)
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Dead = "dead";
    public const string Held = "held";
    public const string Digested = "digested";
    public const string PositionName = "audit_position";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns = "id, kind, channel, recipient, address, language, municipality_code, prefecture_code, audit_position, payload, status, attempts, next_attempt_ms, last_error, created_ms, delivered_ms, read_ms";

    private readonly SqliteWriteGate? gate = storage.Invariant == SiloHosting.SqliteInvariant ? services.GetService<SqliteWriteGate>() : null;

    public bool IsSqlite => storage.Invariant == SiloHosting.SqliteInvariant;

    // ---------------------------------------------------------------- state (position, keys, digest times)

    public async Task<string?> GetStateAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT value FROM readiness_notification_state WHERE name = @name");
        Add(command, "@name", name);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Sets a value unless one is there (returns the stored value either way): the first writer wins.</summary>
    public Task<string> GetOrAddStateAsync(string name, string value) => WriteAsync(async (c, t) =>
    {
        await using (var insert = Command(c, t, "INSERT INTO readiness_notification_state (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING"))
        {
            Add(insert, "@name", name);
            Add(insert, "@value", value);
            await insert.ExecuteNonQueryAsync();
        }

        await using var read = Command(c, t, "SELECT value FROM readiness_notification_state WHERE name = @name");
        Add(read, "@name", name);
        return (string)(await read.ExecuteScalarAsync())!;
    });

    public Task SetStateAsync(string name, string value) => WriteAsync(async (c, t) =>
    {
        await using var upsert = Command(c, t, "INSERT INTO readiness_notification_state (name, value) VALUES (@name, @value) ON CONFLICT (name) DO UPDATE SET value = excluded.value");
        Add(upsert, "@name", name);
        Add(upsert, "@value", value);
        await upsert.ExecuteNonQueryAsync();
        return 0;
    });

    /// <summary>The key of the unsubscribe links: 32 random bytes made once per database (so every node agrees).</summary>
    public async Task<byte[]> UnsubscribeKeyAsync() =>
        Convert.FromBase64String(await GetOrAddStateAsync("unsubscribe_key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));

    // ---------------------------------------------------------------- the audit trail, by position

    /// <summary>The highest audit position now (0 when empty).</summary>
    public async Task<long> AuditEndAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, $"SELECT COALESCE(MAX({PositionColumn}), 0) FROM readiness_audit");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The next window of the audit trail: up to <paramref name="limit"/> rows after <paramref name="after"/> (and, on
    /// PostgreSQL, the <paramref name="lookback"/> rows behind it again), in position order. Only a system's rows can
    /// yield an event (<see cref="NotificationRules.Derive"/>), and only if it changed something, so only a system's rows
    /// that are not confirmations (<see cref="SqlAuditLog.ConfirmationSql"/>: both sides equal, so every rule judges them
    /// alike) are read and returned; of the others (a full report's 47 checklist rows, and since every report records
    /// every target it names, a report's kept systems) the window counts them and moves past them. A deadline rush
    /// writes ~116,000 rows in seconds, and reading every row whole cost ~95 KB of allocation per report (2026-12-02 profile).
    /// <para>
    /// <paramref name="complete"/> (PostgreSQL): a position up to which an earlier window, committed by this caller,
    /// found every position present. Nothing can commit there any more (a gap is a transaction still in flight or one
    /// rolled back), so the look-back starts there instead of <paramref name="lookback"/> behind <paramref name="after"/>.
    /// The window's <see cref="AuditWindow.Complete"/> is the next such position. Re-reading the whole look-back on every
    /// window made a deadline rush's dispatcher read each row three times (docs/performance.md, eighteenth round).
    /// </para>
    /// </summary>
    public async Task<AuditWindow> ReadAuditAsync(long after, int lookback, int limit, long complete = 0, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        var from = IsSqlite ? after : Math.Max(Math.Max(0, after - lookback), Math.Min(complete, after));
        int newRows;
        long end;
        long present;
        await using (var window = Command(connection, null,
            $"""
            SELECT COALESCE(SUM(CASE WHEN p > @after THEN 1 ELSE 0 END), 0), COALESCE(MAX(p), 0), COUNT(*)
            FROM (SELECT {PositionColumn} AS p FROM readiness_audit WHERE {PositionColumn} > @from ORDER BY {PositionColumn} LIMIT @take) w
            """))
        {
            Add(window, "@after", after);
            Add(window, "@from", from);
            Add(window, "@take", limit + (int)(after - from));
            await using var reader = await window.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            newRows = Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture);
            end = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
            present = Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture);
        }

        // Every position in (from, end] present: none can appear there later. Otherwise the gap's window is read again.
        var nextComplete = end > from && present == end - from ? end : from;
        var rows = new List<AuditRow>();
        if (newRows == 0)
        {
            return new AuditWindow(rows, 0, Math.Max(after, end), Math.Min(nextComplete, after));
        }

        // Bounded by the window's end, so a row committed since is read next time, never skipped.
        await using var command = Command(connection, null,
            $"""
            SELECT {PositionColumn}, municipality_code, version, target, at_utc, actor_subject, before_fields, after_fields
            FROM readiness_audit
            WHERE {PositionColumn} > @from AND {PositionColumn} <= @end AND target LIKE '{NotificationRules.SystemTargetPrefix}%'
              AND {SqlAuditLog.ConfirmationSql("readiness_audit")} = 0
            ORDER BY {PositionColumn}
            """);
        Add(command, "@from", from);
        Add(command, "@end", end);
        await using var systems = await command.ExecuteReaderAsync(cancellationToken);
        while (await systems.ReadAsync(cancellationToken))
        {
            // Only the fields the rules judge (NotificationRules.JudgedFields): the dispatcher reads back every system
            // row a deadline rush changes, a fifth of a full report's allocation before (issue 14).
            ImmutableArray<AuditField> Side(int i, byte[]? utf8)
            {
                try
                {
                    // SQLite hands over a text column's UTF-8 bytes as they are; a string would be decoded only to be encoded again.
                    return systems.IsDBNull(i) ? []
                        : utf8 is not null ? AuditFields.FromUtf8Json(utf8, NotificationRules.JudgedFields)
                        : AuditFields.FromJson(systems.GetString(i), NotificationRules.JudgedFields);
                }
                catch (JsonException)
                {
                    return [];
                }
            }

            byte[]? Utf8(int i) => IsSqlite && !systems.IsDBNull(i) ? systems.GetFieldValue<byte[]>(i) : null;
            var beforeUtf8 = Utf8(6);
            var afterUtf8 = Utf8(7);
            var afterSide = Side(7, afterUtf8);
            var beforeSide = Side(6, beforeUtf8);

            rows.Add(new AuditRow(
                systems.GetInt64(0), systems.GetString(1), systems.GetInt64(2), systems.GetString(3),
                systems.GetValue(4) switch
                {
                    DateTime utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)),
                    DateTimeOffset at => at,
                    var text => DateTimeOffset.Parse(Convert.ToString(text, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                },
                systems.GetString(5), beforeSide, afterSide));
        }

        return new AuditWindow(rows, newRows, Math.Max(after, end), nextComplete);
    }

    /// <summary>
    /// Inserts the planned rows (each once: an id already there is left alone) and moves the stored position from
    /// <paramref name="from"/> to <paramref name="to"/>, in one transaction. Returns false (nothing written) when the
    /// stored position is no longer <paramref name="from"/> (another node got there first).
    /// </summary>
    public Task<bool> CommitDerivedAsync(long from, long to, IReadOnlyList<PlannedDelivery> rows, DateTimeOffset now) => WriteAsync(async (c, t) =>
    {
        await using (var move = Command(c, t, "UPDATE readiness_notification_state SET value = @to WHERE name = @name AND value = @from"))
        {
            Add(move, "@name", PositionName);
            Add(move, "@from", from.ToString(CultureInfo.InvariantCulture));
            Add(move, "@to", to.ToString(CultureInfo.InvariantCulture));
            if (await move.ExecuteNonQueryAsync() != 1)
            {
                return false;
            }
        }

        await InsertPlannedAsync(c, t, rows, now);
        return true;
    });

    /// <summary>Inserts the rows of the scheduled scan (each once: an id already there is left alone); returns how many were new.</summary>
    public Task<int> InsertPlannedAsync(IReadOnlyList<PlannedDelivery> rows, DateTimeOffset now) => WriteAsync((c, t) => InsertPlannedAsync(c, t, rows, now));

    private static async Task<int> InsertPlannedAsync(DbConnection c, DbTransaction t, IReadOnlyList<PlannedDelivery> rows, DateTimeOffset now)
    {
        var added = 0;
        await using var insert = Command(c, t,
            "INSERT INTO readiness_notification_outbox (id, kind, channel, recipient, address, language, municipality_code, prefecture_code, audit_position, payload, status, attempts, next_attempt_ms, created_ms, delivered_ms) " +
            "VALUES (@id, @kind, @channel, @recipient, @address, @language, @code, @pref, @position, @payload, @status, 0, @now, @now, @delivered) ON CONFLICT (id) DO NOTHING");
        var p = new[] { "@id", "@kind", "@channel", "@recipient", "@address", "@language", "@code", "@pref", "@position", "@payload", "@status", "@now", "@delivered" }
            .Select(n => Add(insert, n, null)).ToArray();
        var ms = now.ToUnixTimeMilliseconds();
        foreach (var r in rows)
        {
            p[0].Value = r.Id;
            p[1].Value = Wire.Name(r.Event.Kind);
            p[2].Value = Wire.Name(r.Channel);
            p[3].Value = r.Recipient;
            p[4].Value = (object?)r.Address ?? DBNull.Value;
            p[5].Value = r.Language;
            p[6].Value = r.Event.MunicipalityCode.Length == 0 ? DBNull.Value : r.Event.MunicipalityCode;
            p[7].Value = r.Event.PrefectureCode.Length == 0 ? DBNull.Value : r.Event.PrefectureCode;
            p[8].Value = r.Event.Position;
            p[9].Value = JsonSerializer.Serialize(PayloadOf(r.Event), Json);

            // In-app rows are delivered by being stored; mail for a daily/weekly choice waits for the digest.
            p[10].Value = r.Channel == NotificationChannel.InApp ? Delivered : r.Held ? Held : Pending;
            p[11].Value = ms;
            p[12].Value = r.Channel == NotificationChannel.InApp ? ms : DBNull.Value;
            added += await insert.ExecuteNonQueryAsync();
        }

        return added;
    }

    /// <summary>Puts one row of the notifier's own making (a digest) into the outbox; false when its id is already there.</summary>
    public Task<bool> InsertAsync(string id, NotificationKind kind, NotificationChannel channel, string recipient, string? address, string language, string? prefectureCode, string payload, DateTimeOffset now) =>
        WriteAsync(async (c, t) =>
        {
            await using var insert = Command(c, t,
                "INSERT INTO readiness_notification_outbox (id, kind, channel, recipient, address, language, prefecture_code, audit_position, payload, status, attempts, next_attempt_ms, created_ms) " +
                "VALUES (@id, @kind, @channel, @recipient, @address, @language, @pref, 0, @payload, @status, 0, @now, @now) ON CONFLICT (id) DO NOTHING");
            Add(insert, "@id", id);
            Add(insert, "@kind", Wire.Name(kind));
            Add(insert, "@channel", Wire.Name(channel));
            Add(insert, "@recipient", recipient);
            Add(insert, "@address", address);
            Add(insert, "@language", language);
            Add(insert, "@pref", prefectureCode);
            Add(insert, "@payload", payload);
            Add(insert, "@status", Pending);
            Add(insert, "@now", now.ToUnixTimeMilliseconds());
            return await insert.ExecuteNonQueryAsync() == 1;
        });

    /// <summary>The stored and sent shape of an event; national events have empty municipality and prefecture fields.</summary>
    public static NotificationPayload PayloadOf(NotificationEvent e)
    {
        var catalog = ReadinessCatalog.Instance;
        // A prefecture's own systems (its 団体コード, 北海道 010006): the organisation is the prefecture itself.
        var m = catalog.MunicipalitiesByCode.TryGetValue(e.MunicipalityCode, out var municipality) ? municipality.Name
            : catalog.TryPrefectureOfBodyCode(e.MunicipalityCode, out var own) ? own.Name : string.Empty;
        var p = catalog.PrefecturesByCode.TryGetValue(e.PrefectureCode, out var prefecture) ? prefecture.Name : string.Empty;
        var b = catalog.BusinessIndex.TryGetValue(e.BusinessId, out var i) ? catalog.BusinessSystems[i] : null;
        return new NotificationPayload(Wire.Name(e.Kind), e.At, new NotificationData(
            e.MunicipalityCode, m, e.PrefectureCode, p, e.BusinessId.Length == 0 ? null : e.BusinessId, b?.NameJa, b?.NameEn, e.Version, e.PhaseBefore, e.PhaseAfter, e.Reason, e.ActorSubject,
            e.LastReportedAt, e.Days, e.Measure, e.Value, e.Threshold));
    }

    // ---------------------------------------------------------------- delivery

    /// <summary>
    /// Takes up to <paramref name="limit"/> due rows (pending, next attempt reached, no live lease) for this node: each
    /// is leased with a conditional update, so two nodes never send the same row at the same time.
    /// </summary>
    public async Task<IReadOnlyList<OutboxRow>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int limit, bool? webhooks = null, CancellationToken cancellationToken = default)
    {
        var ms = now.ToUnixTimeMilliseconds();
        List<OutboxRow> candidates;
        await using (var connection = await storage.OpenAsync(cancellationToken))
        {
            // webhooks: true only webhook rows, false all others, null every row (two delivery loops, one per kind).
            var channel = webhooks switch { true => " AND channel = @webhook", false => " AND channel <> @webhook", null => string.Empty };
            await using var query = Command(connection, null,
                $"SELECT {Columns} FROM readiness_notification_outbox WHERE status = @pending AND next_attempt_ms <= @now AND (lease_until_ms IS NULL OR lease_until_ms < @now){channel} ORDER BY next_attempt_ms LIMIT @take");
            Add(query, "@pending", Pending);
            if (webhooks is not null)
            {
                Add(query, "@webhook", Wire.Name(NotificationChannel.Webhook));
            }

            Add(query, "@now", ms);
            Add(query, "@take", limit);
            candidates = await ReadRows(query, cancellationToken);
        }

        if (candidates.Count == 0)
        {
            return candidates;
        }

        return await WriteAsync(async (c, t) =>
        {
            var claimed = new List<OutboxRow>();
            await using var take = Command(c, t,
                "UPDATE readiness_notification_outbox SET lease_until_ms = @until WHERE id = @id AND status = @pending AND (lease_until_ms IS NULL OR lease_until_ms < @now)");
            var id = Add(take, "@id", null);
            Add(take, "@until", ms + (long)lease.TotalMilliseconds);
            Add(take, "@pending", Pending);
            Add(take, "@now", ms);
            foreach (var row in candidates)
            {
                id.Value = row.Id;
                if (await take.ExecuteNonQueryAsync() == 1)
                {
                    claimed.Add(row);
                }
            }

            return claimed;
        });
    }

    /// <summary>
    /// Ends every lease on a pending row; returns how many. Only for SQLite (embedded mode: this process is the one
    /// dispatcher on the database), at start: a lease found then was taken by an earlier run of this process that was
    /// killed or stopped mid-send, and waiting it out (<see cref="NotificationOptions.Lease"/>, 2 minutes) would only
    /// delay those rows. On PostgreSQL other nodes may hold live leases; a dead node's leases end by time.
    /// </summary>
    public Task<int> ReleaseLeasesAsync() => WriteAsync(async (c, t) =>
    {
        await using var update = Command(c, t, "UPDATE readiness_notification_outbox SET lease_until_ms = NULL WHERE status = @pending AND lease_until_ms IS NOT NULL");
        Add(update, "@pending", Pending);
        return await update.ExecuteNonQueryAsync();
    });

    public Task MarkDeliveredAsync(string id, DateTimeOffset now) => WriteAsync(async (c, t) =>
    {
        await using (var forget = Command(c, t, "DELETE FROM readiness_notification_state WHERE name = @name"))
        {
            Add(forget, "@name", AttemptPrefix + id);
            await forget.ExecuteNonQueryAsync();
        }

        await using var update = Command(c, t, "UPDATE readiness_notification_outbox SET status = @status, delivered_ms = @now, attempts = attempts + 1, lease_until_ms = NULL, last_error = NULL WHERE id = @id");
        Add(update, "@status", Delivered);
        Add(update, "@now", now.ToUnixTimeMilliseconds());
        Add(update, "@id", id);
        return await update.ExecuteNonQueryAsync();
    });

    /// <summary>
    /// Records a failed attempt made at <paramref name="attemptedAt"/>: the row's attempts, its next attempt (or dead) and
    /// the error (at most 1,000 characters). The attempt's time is kept beside the row in the state table (name
    /// "attempt:{id}", Unix milliseconds) rather than in a new column, so that no schema version is added; the next
    /// attempt cannot stand for it, since a row behind a failed one is deferred without being tried (<see cref="DeferAsync"/>).
    /// </summary>
    public Task MarkFailedAsync(string id, int attempts, DateTimeOffset nextAttempt, string error, bool dead, DateTimeOffset attemptedAt) => WriteAsync(async (c, t) =>
    {
        await using (var upsert = Command(c, t, "INSERT INTO readiness_notification_state (name, value) VALUES (@name, @value) ON CONFLICT (name) DO UPDATE SET value = excluded.value"))
        {
            Add(upsert, "@name", AttemptPrefix + id);
            Add(upsert, "@value", attemptedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            await upsert.ExecuteNonQueryAsync();
        }

        await using var update = Command(c, t, "UPDATE readiness_notification_outbox SET status = @status, attempts = @attempts, next_attempt_ms = @next, lease_until_ms = NULL, last_error = @error WHERE id = @id");
        Add(update, "@status", dead ? Dead : Pending);
        Add(update, "@attempts", attempts);
        Add(update, "@next", nextAttempt.ToUnixTimeMilliseconds());
        Add(update, "@error", error.Length > 1000 ? error[..1000] : error);
        Add(update, "@id", id);
        return await update.ExecuteNonQueryAsync();
    });

    /// <summary>
    /// Releases a claimed pending row untried until <paramref name="nextAttempt"/>, its attempts unchanged: the row behind
    /// a failed one of the same receiver (NotificationDispatcher.DeliverDueAsync).
    /// </summary>
    public Task DeferAsync(string id, DateTimeOffset nextAttempt) => WriteAsync(async (c, t) =>
    {
        await using var update = Command(c, t, "UPDATE readiness_notification_outbox SET next_attempt_ms = @next, lease_until_ms = NULL WHERE id = @id AND status = @pending");
        Add(update, "@next", nextAttempt.ToUnixTimeMilliseconds());
        Add(update, "@pending", Pending);
        Add(update, "@id", id);
        return await update.ExecuteNonQueryAsync();
    });

    private const string AttemptPrefix = "attempt:";

    /// <summary>When each failed row was last tried (see <see cref="MarkFailedAsync"/>), by outbox id; rows never failed are absent.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> LastAttemptsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, "SELECT name, value FROM readiness_notification_state WHERE name LIKE 'attempt:%'");
        var attempts = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (long.TryParse(reader.GetString(1), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                attempts[reader.GetString(0)[AttemptPrefix.Length..]] = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }
        }

        return attempts;
    }

    /// <summary>Puts a dead (or pending) row back in line now with its attempts reset; false when there is no such row or it was delivered.</summary>
    public Task<bool> RetryAsync(string id, DateTimeOffset now) => WriteAsync(async (c, t) =>
    {
        await using var update = Command(c, t, "UPDATE readiness_notification_outbox SET status = @pending, attempts = 0, next_attempt_ms = @now, lease_until_ms = NULL WHERE id = @id AND status IN (@dead, @pending)");
        Add(update, "@pending", Pending);
        Add(update, "@dead", Dead);
        Add(update, "@now", now.ToUnixTimeMilliseconds());
        Add(update, "@id", id);
        return await update.ExecuteNonQueryAsync() == 1;
    });

    /// <summary>Mail rows sent to <paramref name="recipient"/> since <paramref name="since"/> (the per-person limit).</summary>
    public async Task<int> MailsSentSinceAsync(string recipient, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var count = Command(connection, null, "SELECT COUNT(*) FROM readiness_notification_outbox WHERE recipient = @r AND channel = @mail AND status = @delivered AND delivered_ms >= @since");
        Add(count, "@r", recipient);
        Add(count, "@mail", Wire.Name(NotificationChannel.Mail));
        Add(count, "@delivered", Delivered);
        Add(count, "@since", since.ToUnixTimeMilliseconds());
        return Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Moves a pending mail row to the person's digest (the per-person limit was reached).</summary>
    public Task HoldAsync(string id) => WriteAsync(async (c, t) =>
    {
        await using var update = Command(c, t, "UPDATE readiness_notification_outbox SET status = @held, lease_until_ms = NULL WHERE id = @id");
        Add(update, "@held", Held);
        Add(update, "@id", id);
        return await update.ExecuteNonQueryAsync();
    });

    // ---------------------------------------------------------------- reading

    /// <summary>
    /// A person's in-app notifications: the newest <paramref name="limit"/>, newest first, and how many of ALL of theirs
    /// are unread (not only of those listed: an inbox of 150 unread lists 100 and says 150).
    /// </summary>
    public async Task<InAppPage> InAppAsync(string subject, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, $"SELECT {Columns} FROM readiness_notification_outbox WHERE recipient = @r AND channel = @inApp ORDER BY created_ms DESC, id LIMIT @take");
        Add(query, "@r", subject);
        Add(query, "@inApp", Wire.Name(NotificationChannel.InApp));
        Add(query, "@take", limit);
        var rows = await ReadRows(query, cancellationToken);

        await using var count = Command(connection, null, "SELECT COUNT(*) FROM readiness_notification_outbox WHERE recipient = @r AND channel = @inApp AND read_ms IS NULL");
        Add(count, "@r", subject);
        Add(count, "@inApp", Wire.Name(NotificationChannel.InApp));
        var unread = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        return new InAppPage(rows, unread);
    }

    /// <summary>Rows in one status (dead letters for administrators), newest first; <paramref name="prefectureCode"/> narrows to a prefecture.</summary>
    public async Task<IReadOnlyList<OutboxRow>> ByStatusAsync(string status, string? prefectureCode, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null,
            $"SELECT {Columns} FROM readiness_notification_outbox WHERE status = @status" + (prefectureCode is null ? string.Empty : " AND prefecture_code = @pref") + " ORDER BY created_ms DESC, id LIMIT @take");
        Add(query, "@status", status);
        if (prefectureCode is not null)
        {
            Add(query, "@pref", prefectureCode);
        }

        Add(query, "@take", limit);
        return await ReadRows(query, cancellationToken);
    }

    public async Task<OutboxRow?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, $"SELECT {Columns} FROM readiness_notification_outbox WHERE id = @id");
        Add(query, "@id", id);
        return (await ReadRows(query, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Every status an outbox row can have.</summary>
    public static readonly IReadOnlyList<string> Statuses = [Pending, Held, Delivered, Digested, Dead];

    /// <summary>
    /// Rows per status (for the administrators' page and the metrics): every status of <see cref="Statuses"/>, 0 when
    /// none, so that a reader never finds a status missing while the outbox is still filling.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> CountsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, "SELECT status, COUNT(*) FROM readiness_notification_outbox GROUP BY status");
        var counts = Statuses.ToDictionary(s => s, _ => 0L, StringComparer.Ordinal);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>Event rows (not digests) of a prefecture's municipalities created in [from, to), oldest first, one per event key (any recipient).</summary>
    public async Task<IReadOnlyList<OutboxRow>> PrefectureEventsAsync(string prefectureCode, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null,
            $"SELECT {Columns} FROM readiness_notification_outbox WHERE prefecture_code = @pref AND kind <> @digest AND created_ms >= @from AND created_ms < @to ORDER BY audit_position, id");
        Add(query, "@pref", prefectureCode);
        Add(query, "@digest", Wire.Name(NotificationKind.Digest));
        Add(query, "@from", from.ToUnixTimeMilliseconds());
        Add(query, "@to", to.ToUnixTimeMilliseconds());
        return await ReadRows(query, cancellationToken);
    }

    /// <summary>A person's held mail rows (for the person's daily/weekly summary), oldest first.</summary>
    public async Task<IReadOnlyList<OutboxRow>> HeldAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, $"SELECT {Columns} FROM readiness_notification_outbox WHERE status = @held ORDER BY recipient, created_ms");
        Add(query, "@held", Held);
        return await ReadRows(query, cancellationToken);
    }

    /// <summary>Marks rows as folded into a digest, and inserts that digest, in one transaction.</summary>
    public Task<bool> FoldIntoDigestAsync(IReadOnlyCollection<string> ids, string digestId, string recipient, string? address, string language, string? prefectureCode, string payload, DateTimeOffset now) =>
        WriteAsync(async (c, t) =>
        {
            await using (var insert = Command(c, t,
                "INSERT INTO readiness_notification_outbox (id, kind, channel, recipient, address, language, prefecture_code, audit_position, payload, status, attempts, next_attempt_ms, created_ms) " +
                "VALUES (@id, @kind, @channel, @recipient, @address, @language, @pref, 0, @payload, @status, 0, @now, @now) ON CONFLICT (id) DO NOTHING"))
            {
                Add(insert, "@id", digestId);
                Add(insert, "@kind", Wire.Name(NotificationKind.Digest));
                Add(insert, "@channel", Wire.Name(NotificationChannel.Mail));
                Add(insert, "@recipient", recipient);
                Add(insert, "@address", address);
                Add(insert, "@language", language);
                Add(insert, "@pref", prefectureCode);
                Add(insert, "@payload", payload);
                Add(insert, "@status", Pending);
                Add(insert, "@now", now.ToUnixTimeMilliseconds());
                if (await insert.ExecuteNonQueryAsync() != 1)
                {
                    return false;
                }
            }

            await using var fold = Command(c, t, "UPDATE readiness_notification_outbox SET status = @digested WHERE id = @id AND status = @held");
            var id = Add(fold, "@id", null);
            Add(fold, "@digested", Digested);
            Add(fold, "@held", Held);
            foreach (var i in ids)
            {
                id.Value = i;
                await fold.ExecuteNonQueryAsync();
            }

            return true;
        });

    public Task<int> MarkReadAsync(string subject, string id, DateTimeOffset now) => WriteAsync(async (c, t) =>
    {
        await using var update = Command(c, t, "UPDATE readiness_notification_outbox SET read_ms = @now WHERE id = @id AND recipient = @r AND read_ms IS NULL");
        Add(update, "@now", now.ToUnixTimeMilliseconds());
        Add(update, "@id", id);
        Add(update, "@r", subject);
        return await update.ExecuteNonQueryAsync();
    });

    // ---------------------------------------------------------------- preferences

    public async Task<IReadOnlyDictionary<NotificationKind, NotificationPreference>> PreferencesAsync(string subject, CancellationToken cancellationToken = default)
    {
        var all = await AllPreferencesAsync([subject], cancellationToken);
        return all.TryGetValue(subject, out var mine) ? mine : new Dictionary<NotificationKind, NotificationPreference>();
    }

    /// <summary>Stored choices per subject (kinds without a stored choice are absent: the default applies).</summary>
    public async Task<Dictionary<string, Dictionary<NotificationKind, NotificationPreference>>> AllPreferencesAsync(IReadOnlyCollection<string>? subjects = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, "SELECT subject, kind, mail, in_app, frequency FROM readiness_notification_preferences");
        var result = new Dictionary<string, Dictionary<NotificationKind, NotificationPreference>>(StringComparer.Ordinal);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var subject = reader.GetString(0);
            if (subjects is not null && !subjects.Contains(subject))
            {
                continue;
            }

            if (Wire.TryParse<NotificationKind>(reader.GetString(1), out var kind) && Wire.TryParse<NotificationFrequency>(reader.GetString(4), out var frequency))
            {
                if (!result.TryGetValue(subject, out var mine))
                {
                    result[subject] = mine = [];
                }

                mine[kind] = new NotificationPreference(kind, Convert.ToBoolean(reader.GetValue(2), CultureInfo.InvariantCulture), Convert.ToBoolean(reader.GetValue(3), CultureInfo.InvariantCulture), frequency);
            }
        }

        return result;
    }

    public Task SetPreferencesAsync(string subject, IEnumerable<NotificationPreference> preferences, DateTimeOffset now) => WriteAsync(async (c, t) =>
    {
        await using var upsert = Command(c, t,
            "INSERT INTO readiness_notification_preferences (subject, kind, mail, in_app, frequency, updated_ms) VALUES (@s, @k, @mail, @inApp, @f, @now) " +
            "ON CONFLICT (subject, kind) DO UPDATE SET mail = excluded.mail, in_app = excluded.in_app, frequency = excluded.frequency, updated_ms = excluded.updated_ms");
        var p = new[] { "@s", "@k", "@mail", "@inApp", "@f", "@now" }.Select(n => Add(upsert, n, null)).ToArray();
        foreach (var pref in preferences)
        {
            p[0].Value = subject;
            p[1].Value = Wire.Name(pref.Kind);
            p[2].Value = pref.Mail;
            p[3].Value = pref.InApp;
            p[4].Value = Wire.Name(pref.Frequency);
            p[5].Value = now.ToUnixTimeMilliseconds();
            await upsert.ExecuteNonQueryAsync();
        }

        return 0;
    });

    // ---------------------------------------------------------------- webhooks

    public sealed record WebhookEndpoint(string Id, string? Tenant, string Url, string Secret, string CreatedBy, DateTimeOffset CreatedAt, bool Active);

    public async Task<IReadOnlyList<WebhookEndpoint>> WebhooksAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, "SELECT id, tenant, url, secret, created_by, created_ms, active FROM readiness_webhook_endpoints ORDER BY created_ms");
        var list = new List<WebhookEndpoint>();
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new WebhookEndpoint(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), Convert.ToBoolean(reader.GetValue(6), CultureInfo.InvariantCulture)));
        }

        return list;
    }

    /// <summary>One endpoint by its id (active or stopped), or null when there is none.</summary>
    public async Task<WebhookEndpoint?> FindWebhookAsync(string id, CancellationToken cancellationToken = default) =>
        (await WebhooksAsync(cancellationToken)).FirstOrDefault(w => w.Id == id);

    /// <summary>
    /// Stores <paramref name="endpoint"/> unless an active endpoint already has its URL and tenant (every event would be
    /// sent there twice): then nothing is stored and that endpoint is returned. Null when stored. The look and the insert
    /// are one transaction holding the URL (SQLite's write lock; PostgreSQL's advisory lock on it), so two administrators
    /// registering it at once store one.
    /// </summary>
    public Task<WebhookEndpoint?> AddWebhookAsync(WebhookEndpoint endpoint) => WriteAsync(async (c, t) =>
    {
        if (!IsSqlite)
        {
            await using var hold = Command(c, t, "SELECT pg_advisory_xact_lock(hashtext(@url))");
            Add(hold, "@url", endpoint.Url);
            await hold.ExecuteNonQueryAsync();
        }

        await using (var same = Command(c, t, "SELECT id, tenant, url, secret, created_by, created_ms, active FROM readiness_webhook_endpoints WHERE url = @url AND active = @active ORDER BY created_ms"))
        {
            Add(same, "@url", endpoint.Url);
            Add(same, "@active", true);
            await using var reader = await same.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var tenant = reader.IsDBNull(1) ? null : reader.GetString(1);
                if (tenant == endpoint.Tenant)
                {
                    return new WebhookEndpoint(reader.GetString(0), tenant, reader.GetString(2), reader.GetString(3), reader.GetString(4),
                        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), true);
                }
            }
        }

        await using var insert = Command(c, t, "INSERT INTO readiness_webhook_endpoints (id, tenant, url, secret, created_by, created_ms, active) VALUES (@id, @tenant, @url, @secret, @by, @at, @active)");
        Add(insert, "@id", endpoint.Id);
        Add(insert, "@tenant", endpoint.Tenant);
        Add(insert, "@url", endpoint.Url);
        Add(insert, "@secret", endpoint.Secret);
        Add(insert, "@by", endpoint.CreatedBy);
        Add(insert, "@at", endpoint.CreatedAt.ToUnixTimeMilliseconds());
        Add(insert, "@active", endpoint.Active);
        await insert.ExecuteNonQueryAsync();
        return (WebhookEndpoint?)null;
    });

    /// <summary>What stopping an endpoint did: stopped it now, found it already stopped (nothing written), or found none.</summary>
    public enum WebhookStop
    {
        Stopped,
        AlreadyStopped,
        Unknown,
    }

    /// <summary>Stops an active endpoint; one already stopped is left as it is (idempotent: <see cref="WebhookStop.AlreadyStopped"/>).</summary>
    public Task<WebhookStop> DeactivateWebhookAsync(string id) => WriteAsync(async (c, t) =>
    {
        await using var update = Command(c, t, "UPDATE readiness_webhook_endpoints SET active = @inactive WHERE id = @id AND active = @active");
        Add(update, "@inactive", false);
        Add(update, "@active", true);
        Add(update, "@id", id);
        if (await update.ExecuteNonQueryAsync() == 1)
        {
            return WebhookStop.Stopped;
        }

        await using var exists = Command(c, t, "SELECT COUNT(*) FROM readiness_webhook_endpoints WHERE id = @id");
        Add(exists, "@id", id);
        return Convert.ToInt64(await exists.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0 ? WebhookStop.AlreadyStopped : WebhookStop.Unknown;
    });

    // ---------------------------------------------------------------- plumbing

    private string PositionColumn => IsSqlite ? "rowid" : "position";

    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write)
    {
        async Task<T> Run()
        {
            await using var connection = await storage.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var result = await write(connection, transaction);
            await transaction.CommitAsync();
            return result;
        }

        return gate is null ? await Run() : await gate.RunAsync(Run);
    }

    private static async Task<List<OutboxRow>> ReadRows(DbCommand query, CancellationToken cancellationToken)
    {
        var rows = new List<OutboxRow>();
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(i));
            var kind = Wire.TryParse<NotificationKind>(reader.GetString(1), out var k) ? k : NotificationKind.Digest;
            var channel = Wire.TryParse<NotificationChannel>(reader.GetString(2), out var c) ? c : NotificationChannel.InApp;
            rows.Add(new OutboxRow(
                reader.GetString(0), kind, channel, reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetInt64(8), reader.GetString(9),
                reader.GetString(10), reader.GetInt32(11), At(12)!.Value, reader.IsDBNull(13) ? null : reader.GetString(13), At(14)!.Value, At(15), At(16)));
        }

        return rows;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = 30;
        return command;
    }

    private static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}

/// <summary>
/// One window of the audit trail as the notification dispatcher reads it: <paramref name="SystemRows"/>, the rows
/// that can yield an event, in position order; <paramref name="NewRows"/>, how many rows of any kind the window holds
/// after the position asked for (0: nothing new); <paramref name="End"/>, the last position in it (at least the one asked for).
/// </summary>
/// <summary>
/// A window of the audit trail (<see cref="NotificationStore.ReadAuditAsync"/>): its system rows in position order, how
/// many rows are new (after the position asked from), its last position, and the position up to which every position
/// was found present (pass it back as <c>complete</c> once the window is committed).
/// </summary>
public sealed record AuditWindow(IReadOnlyList<AuditRow> SystemRows, int NewRows, long End, long Complete);

/// <summary>A page of a person's in-app notifications (newest first) and the count of all their unread ones, listed or not.</summary>
public sealed record InAppPage(IReadOnlyList<OutboxRow> Items, int Unread);

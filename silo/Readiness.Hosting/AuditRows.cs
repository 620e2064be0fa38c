using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using Readiness.Grains;
using Readiness.Rules;

namespace Readiness.Hosting;

/// <summary>
/// The audit rows of one change, made ready on the caller's thread for <see cref="AuditRowWriter"/>: the values rows
/// share (the municipality, the version, who, when, which request, the client and the legacy text) once per run of
/// rows that share them (a change's rows all do), each row's target, and the UTF-8 JSON of both sides of every row in
/// one pooled array. Each row was an object[] of its 13 column values and each side a byte[] of its own: ~12 % of a
/// full report's allocation (docs/performance.md, forty-third round).
/// </summary>
/// <remarks>
/// Columns are numbered as in <see cref="SqlAuditLog.Columns"/>. Dispose once written: the JSON's array goes back to
/// its pool, and reading a side after that throws <see cref="ObjectDisposedException"/>.
/// </remarks>
internal sealed class AuditRows : IDisposable
{
    /// <summary>Columns (in <see cref="SqlAuditLog.Columns"/> order) that every row of one change shares.</summary>
    public static readonly int[] SharedColumns = [0, 1, 3, 4, 5, 6, 7, 8, 9, 10];

    /// <summary>Columns each row has its own: the target and both sides' fields.</summary>
    public static readonly int[] RowColumns = [2, 11, 12];

    private const int TargetColumn = 2;
    private const int BeforeFieldsColumn = 11;
    private const int AfterFieldsColumn = 12;

    // One buffer per thread for the sides while a change is prepared; copied once into a pooled array of the exact size.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? scratch;

    private readonly object[][] shared;
    private readonly string[] targets;
    private readonly int[] sides; // per row: before's start and length, after's start and length (length -1: NULL)
    private readonly PooledBytes? json;
    private bool disposed;

    private AuditRows(object[][] shared, string[] targets, int[] sides, PooledBytes? json)
    {
        this.shared = shared;
        this.targets = targets;
        this.sides = sides;
        this.json = json;
    }

    /// <summary>The rows' count.</summary>
    public int Length => targets.Length;

    /// <summary>
    /// The entries' rows. The JSON of both sides is the costly part of a row and the writer runs while holding
    /// SQLite's one write lock, so it is made here, on the caller's thread.
    /// </summary>
    /// <param name="sqlite">SQLite stores the time as ISO 8601 text; PostgreSQL as timestamptz (a UTC <see cref="DateTimeOffset"/>).</param>
    public static AuditRows Prepare(ImmutableArray<ChangeEntry> entries, bool sqlite)
    {
        var shared = new object[entries.Length][];
        var targets = new string[entries.Length];
        var sides = new int[entries.Length * 4];
        var buffer = scratch ??= new ArrayBufferWriter<byte>(16 * 1024);
        buffer.ResetWrittenCount();
        ChangeEntry? previous = null;
        object[]? values = null;
        for (var i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            if (previous is null || values is null || !SharesColumns(previous, e))
            {
                values = SharedValues(e, sqlite, values);
            }

            shared[i] = values;
            targets[i] = e.Target;
            sides[4 * i] = buffer.WrittenCount;
            sides[(4 * i) + 1] = AuditFields.WriteUtf8Json(e.BeforeFields, buffer);
            if (e.AfterFields == e.BeforeFields)
            {
                // A confirmation's sides are one field list (ChangeRules.Apply): its JSON is written once, bound twice.
                sides[(4 * i) + 2] = sides[4 * i];
                sides[(4 * i) + 3] = sides[(4 * i) + 1];
            }
            else
            {
                sides[(4 * i) + 2] = buffer.WrittenCount;
                sides[(4 * i) + 3] = AuditFields.WriteUtf8Json(e.AfterFields, buffer);
            }
            previous = e;
        }

        var json = buffer.WrittenCount == 0 ? null : PooledBytes.Of(buffer.WrittenSpan);
        if (buffer.Capacity > 1024 * 1024)
        {
            scratch = null; // an unusually large change: its buffer is not kept for the thread's life
        }

        return new AuditRows(shared, targets, sides, json);
    }

    /// <summary>Whether <paramref name="count"/> rows from <paramref name="start"/> hold the same value in every shared column.</summary>
    public bool ShareColumns(int start, int count)
    {
        for (var r = start + 1; r < start + count; r++)
        {
            if (ReferenceEquals(shared[r], shared[start]))
            {
                continue;
            }

            for (var k = 0; k < SharedColumns.Length; k++)
            {
                if (!Equals(shared[start][k], shared[r][k]))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The value of the <paramref name="k"/>th of <see cref="SharedColumns"/> in <paramref name="row"/> (<see cref="DBNull"/> for NULL).</summary>
    public object Shared(int row, int k) => shared[row][k];

    /// <summary>The row's target (column 2).</summary>
    public string Target(int row) => targets[row];

    /// <summary>A side's JSON as it is stored; false for NULL (no fields).</summary>
    public bool TrySide(int row, bool after, out ReadOnlySpan<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var at = (4 * row) + (after ? 2 : 0);
        if (sides[at + 1] < 0)
        {
            bytes = default;
            return false;
        }

        bytes = json!.Memory.Span.Slice(sides[at], sides[at + 1]);
        return true;
    }

    /// <summary>Any column's value as a provider binds it: the sides as byte arrays (copies), NULL as <see cref="DBNull"/>.</summary>
    public object Value(int row, int column) => column switch
    {
        TargetColumn => targets[row],
        BeforeFieldsColumn or AfterFieldsColumn => TrySide(row, column == AfterFieldsColumn, out var bytes) ? bytes.ToArray() : DBNull.Value,
        // SharedColumns is every column but the row's own (2, 11, 12): columns 0–1 are at k = column, 3–10 at column − 1.
        _ => shared[row][column < TargetColumn ? column : column - 1],
    };

    public void Dispose()
    {
        disposed = true;
        json?.Dispose();
    }

    private static bool SharesColumns(ChangeEntry a, ChangeEntry b) =>
        a.MunicipalityCode == b.MunicipalityCode && a.Version == b.Version && a.At == b.At
        && a.Actor.Subject == b.Actor.Subject && a.Actor.Role == b.Actor.Role && a.Actor.Tenant == b.Actor.Tenant
        && a.RequestId == b.RequestId && a.Before == b.Before && a.After == b.After && a.ClientAddress == b.ClientAddress;

    /// <summary>The <see cref="SharedColumns"/>' values of <paramref name="e"/>, reusing <paramref name="previous"/>'s boxed version and time where equal.</summary>
    private static object[] SharedValues(ChangeEntry e, bool sqlite, object[]? previous)
    {
        var version = previous?[1] is long v && v == e.Version ? previous[1] : e.Version;
        var at = sqlite ? e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) : (object)e.At.ToUniversalTime();
        return
        [
            e.MunicipalityCode,
            version,
            at,
            e.Actor.Subject,
            Wire.Name(e.Actor.Role),
            (object?)e.Actor.Tenant ?? DBNull.Value,
            e.RequestId,
            (object?)e.Before ?? DBNull.Value,
            (object?)e.After ?? DBNull.Value,
            (object?)e.ClientAddress ?? DBNull.Value,
        ];
    }
}

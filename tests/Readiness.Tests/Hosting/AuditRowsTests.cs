using System.Collections.Immutable;
using Readiness.Hosting;
using Readiness.Rules;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// A change's audit rows as the writer binds them (<see cref="AuditRows"/>): every column equals what the entry says,
/// each side is exactly <see cref="AuditFields.ToUtf8Json"/>'s bytes (NULL for no fields), and rows prepared one after
/// another on one thread keep their own bytes although the thread's buffer is reused.
/// </summary>
public sealed class AuditRowsTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 9, 30, 0, TimeSpan.FromHours(9));

    private static ImmutableArray<ChangeEntry> Change(long version, string evidence, int count) =>
    [
        .. Enumerable.Range(0, count).Select(i => new ChangeEntry
        {
            MunicipalityCode = "011002",
            Version = version,
            At = At,
            Actor = new Actor("佐藤", Role.Municipality, "011002"),
            RequestId = $"r-{version}",
            Target = $"security:SEC-1-{i:D2}",
            ClientAddress = "192.0.2.1",
            BeforeFields = i % 3 == 0 ? [] : [new AuditField("status", "partial"), new AuditField("evidence", $"{evidence} 規程 {i}")],
            AfterFields = i % 5 == 4 ? [] : [new AuditField("status", "implemented"), new AuditField("evidence", $"{evidence} 🙂 {i}"), new AuditField("flag", "true", IsFlag: true)],
        }),
    ];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_column_is_the_entrys_and_each_side_its_JSON(bool sqlite)
    {
        var entries = Change(7, "a", 40);
        using var rows = AuditRows.Prepare(entries, sqlite);

        Assert.Equal(entries.Length, rows.Length);
        for (var r = 0; r < entries.Length; r++)
        {
            var e = entries[r];
            Assert.Equal(e.MunicipalityCode, rows.Value(r, 0));
            Assert.Equal(e.Version, rows.Value(r, 1));
            Assert.Equal(e.Target, rows.Value(r, 2));
            Assert.Equal(sqlite ? "2026-12-07T00:30:00.0000000Z" : (object)new DateTimeOffset(2026, 12, 7, 0, 30, 0, TimeSpan.Zero), rows.Value(r, 3));
            Assert.Equal(e.Actor.Subject, rows.Value(r, 4));
            Assert.Equal("municipality", rows.Value(r, 5));
            Assert.Equal(e.RequestId, rows.Value(r, 7));
            Assert.Equal(DBNull.Value, rows.Value(r, 8));
            Assert.Equal(e.ClientAddress, rows.Value(r, 10));
            AssertSide(AuditFields.ToUtf8Json(e.BeforeFields), rows, r, after: false);
            AssertSide(AuditFields.ToUtf8Json(e.AfterFields), rows, r, after: true);
            Assert.Equal((object?)AuditFields.ToUtf8Json(e.BeforeFields) ?? DBNull.Value, rows.Value(r, 11));
            Assert.Equal((object?)AuditFields.ToUtf8Json(e.AfterFields) ?? DBNull.Value, rows.Value(r, 12));
        }

        Assert.True(rows.ShareColumns(0, entries.Length));
    }

    [Fact]
    public void Rows_prepared_one_after_another_keep_their_own_sides()
    {
        var first = Change(1, "first", 20);
        var second = Change(2, "second, which is longer than the first", 30);
        using var a = AuditRows.Prepare(first, sqlite: true);
        using var b = AuditRows.Prepare(second, sqlite: true);
        using var c = AuditRows.Prepare(Change(3, "x", 1), sqlite: true);

        for (var r = 0; r < first.Length; r++)
        {
            AssertSide(AuditFields.ToUtf8Json(first[r].AfterFields), a, r, after: true);
        }

        for (var r = 0; r < second.Length; r++)
        {
            AssertSide(AuditFields.ToUtf8Json(second[r].BeforeFields), b, r, after: false);
        }
    }

    [Fact]
    public void A_side_is_not_read_once_its_array_is_given_back()
    {
        var rows = AuditRows.Prepare(Change(1, "a", 3), sqlite: true);
        rows.Dispose();

        Assert.Throws<ObjectDisposedException>(() => rows.TrySide(1, after: true, out _));
    }

    private static void AssertSide(byte[]? expected, AuditRows rows, int row, bool after)
    {
        var present = rows.TrySide(row, after, out var bytes);
        Assert.Equal(expected is not null, present);
        if (expected is not null)
        {
            Assert.Equal(expected, bytes.ToArray());
        }
    }
}

using System.Collections.Immutable;
using Readiness.Hosting;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// The audit writer puts rows that share who, when, which request and the (absent) legacy text 16 to a statement and
/// binds those values once; any difference among them sends the rows one by one (AuditRowWriter.WriteAsync).
/// </summary>
public sealed class AuditRowGroupingTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 4, 5, 6, TimeSpan.Zero);

    private static ImmutableArray<ChangeEntry> Change(Func<int, ChangeEntry, ChangeEntry>? vary = null) =>
    [
        .. Enumerable.Range(0, AuditRowWriter.RowsPerInsert).Select(i =>
        {
            var entry = new ChangeEntry
            {
                MunicipalityCode = "131016",
                Version = 3,
                At = At,
                Actor = new Actor("tanaka", Role.Municipality, "131016"),
                RequestId = "r-1",
                Target = $"security:SEC-1-{i:D2}",
                ClientAddress = "127.0.0.1",
                BeforeFields = i % 2 == 0 ? [] : [new AuditField("status", "partial")],
                AfterFields = [new AuditField("status", $"implemented-{i}")],
            };
            return vary?.Invoke(i, entry) ?? entry;
        }),
    ];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_rows_of_one_change_share_every_shared_column(bool sqlite) =>
        Assert.True(AuditRowWriter.Prepare(Change(), sqlite).ShareColumns(0, AuditRowWriter.RowsPerInsert));

    public static TheoryData<string> Differences() => ["subject", "client", "request", "legacy before", "legacy after", "time"];

    [Theory]
    [MemberData(nameof(Differences))]
    public void A_row_that_differs_in_a_shared_column_breaks_the_group(string difference)
    {
        var rows = AuditRowWriter.Prepare(Change((i, e) => i != 7 ? e : difference switch
        {
            "subject" => e with { Actor = new Actor("sato", Role.Municipality, "131016") },
            "client" => e with { ClientAddress = null },
            "request" => e with { RequestId = "r-2" },
            "legacy before" => e with { Before = "status=partial" },
            "legacy after" => e with { After = "status=implemented" },
            _ => e with { At = At.AddTicks(10) },
        }), sqlite: true);

        Assert.False(rows.ShareColumns(0, AuditRowWriter.RowsPerInsert));
        Assert.True(rows.ShareColumns(0, 7));
    }
}

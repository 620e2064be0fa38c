using System.Collections.Immutable;
using Readiness.Grains;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Many audit rows of one change written and read back whole, on SQLite and PostgreSQL: the writer puts rows that
/// share who, when and which request 16 to a statement and the others one by one (AuditRowWriter.WriteAsync).
/// </summary>
internal static class AuditRowsRoundTrip
{
    /// <summary>
    /// 40 entries of one version with targets in insertion order: rows 0–15 alike but for their target and sides' fields
    /// (one 16-row statement); rows 16–39 have legacy text, row 20 another person and row 25 no client address, so they
    /// go one by one.
    /// </summary>
    public static ImmutableArray<ChangeEntry> Entries(string code, long version, DateTimeOffset at) =>
    [
        .. Enumerable.Range(0, 40).Select(i => new ChangeEntry
        {
            MunicipalityCode = code,
            Version = version,
            At = at,
            Actor = new Actor(i == 20 ? "other" : "tanaka", Role.Municipality, code),
            RequestId = $"bulk-{version}",
            Target = $"security:ITEM-{i:D2}",
            // Legacy text (only rows stored before fields existed have it): none in the first 16, as the product writes.
            Before = i < 16 || i % 3 == 0 ? null : $"status=partial-{i}",
            After = i < 16 ? null : $"status=implemented-{i}",
            ClientAddress = i == 25 ? null : "127.0.0.1",
            BeforeFields = i % 3 == 0 ? [] : [new AuditField("status", $"partial-{i}")],
            AfterFields = [new AuditField("status", $"implemented-{i}"), new AuditField("evidence", i % 4 == 0 ? null : $"規程 {i}"), new AuditField("flag", i % 2 == 0 ? "true" : "false", IsFlag: true)],
        }),
    ];

    /// <summary>Every entry written is read back with every value, and nothing else is at that version.</summary>
    public static async Task AssertReadBackAsync(IAuditLog audit, string code, long version, ImmutableArray<ChangeEntry> written)
    {
        var page = await audit.ReadAsync(code, long.MaxValue, null, 200);
        var read = page.Entries.Where(e => e.Version == version).OrderBy(e => e.Target, StringComparer.Ordinal).ToList();
        Assert.Equal(written.Select(e => e.Target), read.Select(e => e.Target));
        foreach (var (w, r) in written.Zip(read))
        {
            Assert.Equal((w.MunicipalityCode, w.Version, w.At, w.Actor, w.RequestId, w.Before, w.After, w.ClientAddress),
                (r.MunicipalityCode, r.Version, r.At, r.Actor, r.RequestId, r.Before, r.After, r.ClientAddress));
            Assert.Equal(w.BeforeFields.ToList(), r.BeforeFields.ToList());
            Assert.Equal(w.AfterFields.ToList(), r.AfterFields.ToList());
        }
    }
}

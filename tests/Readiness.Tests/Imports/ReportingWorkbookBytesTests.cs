using System.IO.Compression;
using Readiness.Web.Imports;
using Readiness.Rules;

namespace Readiness.Tests.Imports;

/// <summary>
/// The workbooks the API serves carry strong ETags (the template's is the municipality's version, sent back as If-Match),
/// and a strong validator promises the same bytes (RFC 9110 §8.8.1). A breaker saw 9,797 / 9,798 / 9,799 bytes under one
/// ETag: the same content must make the same file.
/// </summary>
public sealed class ReportingWorkbookBytesTests
{
    [Fact]
    public async Task The_same_content_makes_the_same_bytes()
    {
        var record = Baseline.Empty("131016", new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), Baseline.Provenance);
        var first = ReportingWorkbook.Template(record);
        await Task.Delay(2100); // zip entry times have a 2 s resolution
        var second = ReportingWorkbook.Template(record);
        Assert.True(first.AsSpan().SequenceEqual(second), Differences(first, second));

        object?[][] rows = [["131016", "千代田区", 1, 2.5m, new DateOnly(2026, 11, 30), true, null]];
        var table = ReportingWorkbook.Table("13東京都", ["code", "name", "n", "x", "d", "b", "e"], rows);
        await Task.Delay(2100);
        var again = ReportingWorkbook.Table("13東京都", ["code", "name", "n", "x", "d", "b", "e"], rows);
        Assert.True(table.AsSpan().SequenceEqual(again), Differences(table, again));
    }

    private static string Differences(byte[] a, byte[] b)
    {
        using var x = new ZipArchive(new MemoryStream(a));
        using var y = new ZipArchive(new MemoryStream(b));
        var lines = new List<string> { $"{a.Length} vs {b.Length} bytes" };
        foreach (var e in x.Entries)
        {
            var f = y.GetEntry(e.FullName);
            using var r1 = new StreamReader(e.Open());
            var t1 = r1.ReadToEnd();
            var t2 = f is null ? "(missing)" : new StreamReader(f.Open()).ReadToEnd();
            if (t1 != t2 || e.LastWriteTime != f?.LastWriteTime)
            {
                lines.Add($"{e.FullName}: {e.LastWriteTime:O} vs {f?.LastWriteTime:O}; {(t1 == t2 ? "same text" : t1[..Math.Min(300, t1.Length)] + " ||| " + t2[..Math.Min(300, t2.Length)])}");
            }
        }

        return string.Join("\n", lines);
    }
}

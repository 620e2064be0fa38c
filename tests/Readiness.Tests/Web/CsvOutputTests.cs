using System.Text;
using Readiness.Web.Api;

namespace Readiness.Tests.Web;

/// <summary>The one CSV writer: BOM, CRLF, RFC 4180 quoting, the formula guard, one format per type.</summary>
public sealed class CsvOutputTests
{
    [Fact]
    public async Task Writes_bom_crlf_quotes_and_guards_formulas()
    {
        var text = await WriteAsync(
            ["a", "b"],
            ["=1+1", "+SUM(A1)"],
            ["-5", "@cmd"],
            ["\tx", "\rx"],
            ["株式会社サンプル, 支店", "引用\"符"],
            ["一行目\n二行目", null]);
        Assert.Equal(
            "a,b\r\n" +
            "\"'=1+1\",\"'+SUM(A1)\"\r\n" +
            "\"'-5\",\"'@cmd\"\r\n" +
            "\"'\tx\",\"'\rx\"\r\n" +
            "\"株式会社サンプル, 支店\",\"引用\"\"符\"\r\n" +
            "\"一行目\n二行目\",\r\n",
            text);
    }

    [Fact]
    public async Task Formats_each_type_once()
    {
        var text = await WriteAsync([-5, 12L, 0.123456, 0.5m, true, false, new DateOnly(2026, 4, 1), new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.FromHours(9)), null]);
        Assert.Equal("-5,12,0.1235,0.5,true,false,2026-04-01,2026-04-01T00:00:00.000Z,\r\n", text);
    }

    private static async Task<string> WriteAsync(params object?[][] rows)
    {
        using var stream = new MemoryStream();
        await using (var csv = new CsvOutput(stream))
        {
            foreach (var row in rows)
            {
                await csv.Row(row);
            }
        }

        var bytes = stream.ToArray();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        return Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
    }
}

using System.IO.Compression;
using System.Text;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Imports;

namespace Readiness.Tests.Imports;

/// <summary>
/// Stored text that holds the literal <c>_xHHHH_</c> (a vendor named <c>A_x0041_B</c>) is written into every .xlsx of
/// the product escaped as ECMA-376 Part 1 §22.9.2.19 (ST_Xstring) says (<c>_x005F_x0041_</c>), so Excel and
/// ExcelDataReader show it as stored, and the product's template reader undoes the escape, so a template downloaded
/// and sent back unchanged holds the same text and is a confirmation. The kind found (a breaker's finding, low): the
/// text was written as is and read back as "AAB".
/// </summary>
public sealed class SpreadsheetTextEscapeTests
{
    /// <summary>Texts with the escape's pattern, overlapping ones, a surrogate's code, near misses and plain underscores.</summary>
    public static readonly string[] Texts =
    [
        "A_x0041_B",
        "_x005F_",
        "_x005F_x0041_",
        "_xD83D_",
        "_xD83D__xDE00_",
        "_x0041_x0042_",
        "__x0041__",
        "a_x00e9_b",
        "_x000D_ and _x000a_",
        "_X0041_ _x004_ _x00411_ _xZZZZ_",
        "snake_case_name _ __ _x",
        "株式会社_x3042_システム",
    ];

    [Fact]
    public void Escaped_text_is_unescaped_to_itself_and_plain_text_is_left_alone()
    {
        Assert.Equal("A_x005F_x0041_B", SpreadsheetText.Escaped("A_x0041_B"));
        Assert.Equal("_x005F_x0041__x005F_x0042_", SpreadsheetText.Escaped("_x0041__x0042_"));
        Assert.Equal("AAB", SpreadsheetText.Unescaped("A_x0041_B"));
        Assert.Equal("\uD83D\uDE00", SpreadsheetText.Unescaped("_xD83D__xDE00_"));
        const string Plain = "snake_case_name _X0041_";
        Assert.Same(Plain, SpreadsheetText.Escaped(Plain));
        foreach (var text in Texts)
        {
            Assert.Equal(text, SpreadsheetText.Unescaped(SpreadsheetText.Escaped(text)));
        }

        // Any mix of the pattern's characters, overlapping in every way.
        var random = new Random(45);
        const string Alphabet = "_x0D5Fe";
        for (var i = 0; i < 20_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(1, 24)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);
            Assert.Equal(text, SpreadsheetText.Unescaped(SpreadsheetText.Escaped(text)));
        }
    }

    [Fact]
    public void A_table_holds_the_escape_and_every_reader_sees_the_stored_text()
    {
        var bytes = ReportingWorkbook.Table("13東京都", ["vendor"], [.. Texts.Select(t => (IReadOnlyList<object?>)[t])]);

        Assert.Contains("A_x005F_x0041_B", SheetXml(bytes, "xl/worksheets/sheet1.xml"), StringComparison.Ordinal);
        Assert.Equal(Texts, ExcelDataReaderColumn(bytes).Skip(1));
        var (sheets, error) = ReportingWorkbook.Read(bytes);
        Assert.Null(error);
        Assert.Equal(Texts, Texts.Select((_, i) => sheets!["13東京都"][$"A{i + 2}"]));
    }

    [Fact]
    public void A_template_downloaded_and_sent_back_unchanged_holds_the_same_text_and_is_a_confirmation()
    {
        var now = new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);
        var record = Baseline.Create("131016", now);
        record = record with
        {
            Systems = [.. record.Systems.Select((s, i) => s with { Phase = MigrationPhase.Testing, ReportedAt = now, Vendor = Texts[i % Texts.Length] })],
            Security = [.. record.Security.Select((s, i) => s with { Evidence = "証跡_x0041_" + Texts[i % Texts.Length] })],
        };

        var bytes = ReportingWorkbook.Template(record);
        Assert.Contains("A_x005F_x0041_B", SheetXml(bytes, "xl/worksheets/sheet1.xml"), StringComparison.Ordinal);
        var (sheets, error) = ReportingWorkbook.Read(bytes);
        Assert.Null(error);
        var row = ReportingTemplate.FirstRow;
        Assert.Equal(record.Systems.Select(s => s.Vendor), record.Systems.Select((_, i) => sheets![ReportingTemplate.SystemsSheet][$"E{row + i}"]));
        Assert.Equal(record.Security.Select(s => s.Evidence), record.Security.Select((_, i) => sheets![ReportingTemplate.SecuritySheet][$"E{row + i}"]));

        var reading = ReportingTemplate.Read(sheets!.Keys.ToList(), (sheet, reference) => sheets[sheet].GetValueOrDefault(reference), record, DateOnly.FromDateTime(now.UtcDateTime));
        Assert.Empty(reading.Errors);
        Assert.Empty(reading.Changes);

        // Excel's own reading of it (ExcelDataReader decodes the escape as Excel does): the vendors as stored.
        var vendors = ExcelDataReaderColumn(bytes, sheet: ReportingTemplate.SystemsSheet, column: 4).Skip(row - 1).Take(record.Systems.Length);
        Assert.Equal(record.Systems.Select(s => s.Vendor), vendors);
    }

    private static string SheetXml(byte[] bytes, string entry)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        using var reader = new StreamReader(zip.GetEntry(entry)!.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static List<string?> ExcelDataReaderColumn(byte[] bytes, string? sheet = null, int column = 0)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        using var reader = ExcelDataReader.ExcelReaderFactory.CreateReader(new MemoryStream(bytes));
        var values = new List<string?>();
        do
        {
            if (sheet is not null && reader.Name != sheet)
            {
                continue;
            }

            while (reader.Read())
            {
                values.Add(reader.FieldCount > column ? reader.GetValue(column)?.ToString() : null);
            }

            break;
        }
        while (reader.NextResult());

        return values;
    }
}

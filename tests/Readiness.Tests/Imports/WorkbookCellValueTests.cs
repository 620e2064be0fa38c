using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;
using Readiness.Web.Imports;

namespace Readiness.Tests.Imports;

/// <summary>
/// Every value cell the product's .xlsx writer makes is one other spreadsheets read as Excel does (tester's finding:
/// booleans were &lt;v&gt;true&lt;/v&gt;, where ECMA-376 Part 1 §18.18.11 has 0 or 1; the same kind: a number cell must
/// hold a finite xsd:double, so NaN or ∞ would make Excel repair the file). The sheet XML itself, as a reader sees it.
/// </summary>
public sealed class WorkbookCellValueTests
{
    [Fact]
    public void Booleans_are_1_or_0_and_numbers_are_finite()
    {
        object?[][] rows = [["131016", true, false, 3.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 7, 12L, 0.25m]];
        var bytes = ReportingWorkbook.Table("13東京都", ["code", "t", "f", "x", "nan", "inf", "neg", "i", "l", "m"], rows);

        using var zip = new ZipArchive(new MemoryStream(bytes));
        var sheet = zip.Entries.Single(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal) && e.FullName.EndsWith(".xml", StringComparison.Ordinal));
        using var stream = sheet.Open();
        var cells = XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "c")
            .ToDictionary(c => (string)c.Attribute("r")!, c => (Type: (string?)c.Attribute("t"), Value: c.Elements().FirstOrDefault(v => v.Name.LocalName == "v")?.Value));

        Assert.Equal(("b", "1"), cells["B2"]);
        Assert.Equal(("b", "0"), cells["C2"]);
        Assert.All(cells.Values.Where(c => c.Type == "b"), c => Assert.True(c.Value is "0" or "1", c.Value));

        // Number cells (no t, or t="n") hold a finite number; one that is not a number is left empty.
        foreach (var (reference, cell) in cells.Where(c => c.Value.Type is null or "n" && c.Value.Value is not null))
        {
            Assert.True(double.TryParse(cell.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d), $"{reference} = '{cell.Value}'");
        }

        Assert.Equal("3.5", cells["D2"].Value);
        Assert.Null(cells["E2"].Value);
        Assert.Null(cells["F2"].Value);
        Assert.Null(cells["G2"].Value);
        Assert.Equal("7", cells["H2"].Value);
        Assert.Equal("12", cells["I2"].Value);
        Assert.Equal("0.25", cells["J2"].Value);
    }
}

using System.Text;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Imports;

namespace Readiness.Tests.Rules;

/// <summary>
/// Unicode noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF, U+nFFFE/U+nFFFF) in untrusted text: refused by the free-text
/// rule, never an exception where text is normalised (a 500 before: a breaker's finding), and never a broken .xlsx.
/// </summary>
public sealed class NoncharacterTests
{
    [Theory]
    [InlineData("p \uFFFF", 0xFFFF, 2)]
    [InlineData("a \uFFFE b", 0xFFFE, 2)]
    [InlineData("\uFDD0株式会社", 0xFDD0, 0)]
    [InlineData("株式会社\uFDEF", 0xFDEF, 4)]
    [InlineData("A\U0001FFFEB", 0x1FFFE, 1)]
    [InlineData("A\U0010FFFF", 0x10FFFF, 1)]
    public void Noncharacters_are_refused_in_every_field_kind(string text, int codePoint, int index)
    {
        foreach (var multiline in new[] { false, true })
        {
            Assert.Equal((FreeTextFault.Noncharacter, index, codePoint), FreeText.Check(text, multiline));
        }
    }

    [Theory]
    [InlineData("\uFFFD")] // REPLACEMENT CHARACTER is a character
    [InlineData("\uFDCF\uFDF0")] // next to the noncharacter block
    [InlineData("\U0001FFFD")]
    public void Characters_beside_them_are_kept(string text) => Assert.Equal(FreeTextFault.None, FreeText.Check(text, multiline: false).Fault);

    [Theory]
    [InlineData("a \uFFFE b")]
    [InlineData("p \uFFFF")]
    [InlineData("x\uD800y")] // an unpaired surrogate, which normalisation refuses as well
    public void Normalising_such_text_never_throws(string text)
    {
        Assert.Equal(text.Trim(), FreeText.Canonical(text));
        Assert.NotNull(FreeText.Identifier(text));
        Assert.Equal(text, FreeText.Normalized(text, NormalizationForm.FormKC));
        Assert.NotNull(PlaceNameSearch.Key(text));
        Assert.NotNull(JapaneseNames.Normalize(text));
        Assert.Equal("ｶﾞ".Normalize(NormalizationForm.FormKC), FreeText.Normalized("ｶﾞ", NormalizationForm.FormKC));
    }

    [Fact]
    public void The_rule_names_the_field_in_both_languages()
    {
        var current = Baseline.Empty("131016", new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero), Baseline.Provenance);
        var request = new ChangeRequest
        {
            RequestId = "r-1",
            Actor = new Actor("tanaka@example.lg.jp", Role.Municipality, "131016"),
            Systems = [new SystemChange { BusinessId = "koseki", Vendor = "株式会社\uFFFF" }],
        };
        var error = Assert.Single(ChangeRules.Validate(request, current, new DateOnly(2026, 12, 7)));
        Assert.Equal(("systems[koseki].vendor", "invalid_character"), (error.Field, error.Code));
        Assert.Contains("U+FFFF", error.MessageJa, StringComparison.Ordinal);
        Assert.Contains("U+FFFF", error.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stored_value_an_xml_cell_cannot_hold_is_written_as_the_replacement_character()
    {
        Assert.Equal("p \uFFFD", ReportingWorkbook.XmlText("p \uFFFF"));
        Assert.Equal("a\uFFFDb\uFFFD", ReportingWorkbook.XmlText("a\u0001b\uD800"));
        var kept = "株式会社 👨‍💻\t\n";
        Assert.Same(kept, ReportingWorkbook.XmlText(kept));

        var bytes = ReportingWorkbook.Table("t", ["vendor", "n"], [["p \uFFFF", 1], ["ok", 2]]);
        using var doc = DocumentFormat.OpenXml.Packaging.SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        var texts = doc.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<DocumentFormat.OpenXml.Spreadsheet.Text>().Select(t => t.Text).ToList();
        Assert.Contains("p \uFFFD", texts);
        Assert.Contains("ok", texts);
    }
}

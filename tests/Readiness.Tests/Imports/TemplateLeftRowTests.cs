using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Testing;
using Readiness.Web.Imports;

namespace Readiness.Tests.Imports;

/// <summary>
/// A row a template leaves as it is now (someone changed it after the file's version) is still read: every cell is
/// validated whatever the row's fate (a breaker's finding: 「だめ」 in such a row was dropped silently and the file
/// applied as a confirmation). Its errors name their cells; a valid row left is still not reported.
/// </summary>
public sealed class TemplateLeftRowTests
{
    [Theory]
    [InlineData(ReportingTemplate.SystemsSheet, "C", "だめ", "unknown_phase")]
    [InlineData(ReportingTemplate.SystemsSheet, "D", "令和9年3月", "invalid_date")]
    [InlineData(ReportingTemplate.SecuritySheet, "D", "だめ", "unknown_status")]
    [InlineData(ReportingTemplate.SecuritySheet, "F", "令和9年3月", "invalid_date")]
    public void A_bad_value_in_a_row_left_as_it_is_is_an_error_naming_its_cell(string sheet, string column, string value, string code)
    {
        var record = Baseline.Create("131016", DateTimeOffset.UtcNow) with { Version = 3 };
        var (sheets, error) = ReportingWorkbook.Read(ReportingWorkbook.Template(record));
        Assert.Null(error);
        var catalog = ReadinessCatalog.Instance;
        var target = sheet == ReportingTemplate.SystemsSheet ? "system:" + catalog.BusinessSystems[2].Id : "security:" + catalog.SecurityItems[2].Id;
        var at = $"{column}{ReportingTemplate.FirstRow + 2}";
        object? Cell(string s, string reference) => s == sheet && reference == at ? value : sheets![s].GetValueOrDefault(reference);

        var reading = ReportingTemplate.Read(sheets!.Keys.ToList(), Cell, record, new DateOnly(2026, 12, 6), ImmutableHashSet.Create(target));

        var cell = sheet == ReportingTemplate.SystemsSheet ? at : $"{sheet}!{at}";
        var issue = Assert.Single(reading.Errors);
        Assert.Equal((cell, code), (issue.Cell, issue.Code));
    }

    [Fact]
    public void A_valid_row_left_as_it_is_is_not_reported_and_every_row_of_the_file_is_counted()
    {
        var record = Baseline.Create("131016", DateTimeOffset.UtcNow) with { Version = 3 };
        var (sheets, _) = ReportingWorkbook.Read(ReportingWorkbook.Template(record));
        var catalog = ReadinessCatalog.Instance;
        var left = "system:" + catalog.BusinessSystems[2].Id;
        var bad = $"C{ReportingTemplate.FirstRow + 3}";
        object? Cell(string s, string reference) => s == ReportingTemplate.SystemsSheet && reference == bad ? "だめ" : sheets![s].GetValueOrDefault(reference);

        var reading = ReportingTemplate.Read(sheets!.Keys.ToList(), Cell, record, new DateOnly(2026, 12, 6), ImmutableHashSet.Create(left));

        Assert.Equal(left, Assert.Single(reading.LeftAsIs));
        Assert.DoesNotContain(reading.Systems, s => "system:" + s.BusinessId == left);
        Assert.Equal(catalog.BusinessSystems.Count + catalog.SecurityItems.Count, reading.FileRows);
    }
}

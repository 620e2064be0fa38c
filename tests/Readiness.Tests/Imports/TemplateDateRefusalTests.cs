using Readiness.Imports;
using Readiness.Rules;
using Readiness.Testing;
using Readiness.Web.Imports;

namespace Readiness.Tests.Imports;

/// <summary>
/// A date cell the template cannot read says what it read and what it takes (breaker: 令和9年3月, 2027年3月, R9.3 and
/// 令和9年度末 were each refused as 「D17: 稼働予定日が日付ではありません。」 (now 本番稼働予定日, the field's term) with no example, while the form gives one).
/// </summary>
public sealed class TemplateDateRefusalTests
{
    [Theory]
    [InlineData(ReportingTemplate.SystemsSheet, "D", "本番稼働予定日", "令和9年3月")]
    [InlineData(ReportingTemplate.SystemsSheet, "D", "本番稼働予定日", "令和9年度末")]
    [InlineData(ReportingTemplate.SystemsSheet, "J", "移行目標時期", "2027年3月")]
    [InlineData(ReportingTemplate.SecuritySheet, "F", "最終確認日", "R9.3")]
    public void A_month_or_fiscal_year_is_refused_naming_the_value_and_the_forms_taken(string sheet, string column, string label, string value)
    {
        var record = Baseline.Create("131016", DateTimeOffset.UtcNow) with { Version = 3 };
        var (sheets, error) = ReportingWorkbook.Read(ReportingWorkbook.Template(record));
        Assert.Null(error);
        var at = $"{column}{ReportingTemplate.FirstRow + 2}";
        object? Cell(string s, string reference) => s == sheet && reference == at ? value : sheets![s].GetValueOrDefault(reference);

        var reading = ReportingTemplate.Read(sheets!.Keys.ToList(), Cell, record, new DateOnly(2026, 12, 6));

        var issue = Assert.Single(reading.Errors, e => e.Code == "invalid_date");
        var cell = sheet == ReportingTemplate.SystemsSheet ? at : $"{sheet}!{at}";
        Assert.Equal(cell, issue.Cell);
        Assert.StartsWith($"{cell}: {label}が日付ではありません（「{value}」）。", issue.MessageJa, StringComparison.Ordinal);
        Assert.Contains("例: 2027-03-31", issue.MessageJa, StringComparison.Ordinal);
        Assert.Contains("e.g. 2027-03-31", issue.MessageEn, StringComparison.Ordinal);
    }
}

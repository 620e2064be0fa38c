using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Imports;

namespace Readiness.Tests.Imports;

/// <summary>
/// A template row that moves a phase back lists, in the preview, the regression and the reason the apply records (a
/// breaker's finding: column K's reason was recorded by the apply but the preview did not show it). The preview's rows
/// are those the pure rule (<see cref="ChangeRules.Apply"/>) then writes.
/// </summary>
public sealed class TemplatePreviewRegressionTests
{
    [Fact]
    public void A_row_moved_back_lists_its_regression_and_reason_as_the_apply_records_them()
    {
        var now = new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);
        var record = Baseline.Create("131016", now);
        var id = ReadinessCatalog.Instance.BusinessSystems[0].Id;
        record = record with
        {
            Systems = [.. record.Systems.Select(s => s.BusinessId != id ? s : s with
            {
                Phase = MigrationPhase.Testing, ReportedAt = now, NotApplicable = false, Designated = false, DesignationReason = null, DesignationTarget = null,
                DesignationReasonNote = null, Regression = false, RegressionReason = null,
            })],
        };
        var row = ReportingTemplate.FirstRow + ReadinessCatalog.Instance.BusinessIndex[id];
        var (sheets, error) = ReportingWorkbook.Read(ReportingWorkbook.Template(record));
        Assert.Null(error);
        object? Cell(string sheet, string reference) =>
            sheet == ReportingTemplate.SystemsSheet && reference == $"C{row}" ? ReportingTemplate.PhaseLabel(MigrationPhase.Contract)
            : sheet == ReportingTemplate.SystemsSheet && reference == $"K{row}" ? "ベンダが撤退したため"
            : sheets![sheet].GetValueOrDefault(reference);

        var reading = ReportingTemplate.Read(sheets!.Keys.ToList(), Cell, record, new DateOnly(2026, 12, 6));

        Assert.Empty(reading.Errors);
        var reason = Assert.Single(reading.Changes, c => c.Field == "regressionReason");
        Assert.Equal(($"K{row}", "system:" + id, (string?)null, "ベンダが撤退したため"), (reason.Cell, reason.Target, reason.Before, reason.After));
        Assert.StartsWith(ReadinessCatalog.Instance.BusinessSystems[0].NameJa + "：" + Vocabulary.RegressionReason.Ja, reason.LabelJa, StringComparison.Ordinal);
        var regression = Assert.Single(reading.Changes, c => c.Field == "regression");
        Assert.Equal(("false", "true"), (regression.Before, regression.After));

        // What the apply records is what the preview listed.
        var (after, _) = ChangeRules.Apply(record, new ChangeRequest { RequestId = "template", Actor = Actor.System, Systems = reading.Systems, Security = reading.Security }, now);
        var system = after.FindSystem(id)!;
        Assert.True(system.Regression);
        Assert.Equal(reason.After, system.RegressionReason);
    }
}

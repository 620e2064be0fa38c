using Readiness.Imports;
using Readiness.Rules;
using Readiness.Testing;
using Readiness.Web.Imports;

namespace Readiness.Tests.Imports;

/// <summary>
/// Another municipality's filled template is refused for that one fault (a breaker's finding: 中央区's file sent to
/// 千代田区 was read row by row against 千代田区's data: 24 "changes", a stale version and 28 errors, answered 412).
/// </summary>
public sealed class TemplateOfAnotherMunicipalityTests
{
    [Fact]
    public void Another_municipality_s_file_is_refused_for_its_code_alone_and_nothing_of_it_is_read()
    {
        var now = DateTimeOffset.UtcNow;
        var chiyoda = Baseline.Create("131016", now) with { Version = 11 };
        var chuo = Baseline.Create("131024", now);
        chuo = chuo with { Systems = [.. chuo.Systems.Select(s => s with { Phase = MigrationPhase.Testing, Vendor = "中央区のベンダー" })] };
        var (sheets, error) = ReportingWorkbook.Read(ReportingWorkbook.Template(chuo));
        Assert.Null(error);

        var reading = ReportingTemplate.Read(sheets!.Keys.ToList(), (s, reference) => sheets[s].GetValueOrDefault(reference), chiyoda, new DateOnly(2026, 12, 6));

        var issue = Assert.Single(reading.Errors);
        Assert.Equal(("B2", "wrong_municipality"), (issue.Cell, issue.Code));
        Assert.Empty(reading.Changes);
        Assert.True(reading.Systems.IsEmpty && reading.Security.IsEmpty);
    }
}

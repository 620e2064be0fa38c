using Readiness.Catalog;
using Readiness.Rules;
using Readiness.Web.Api;

namespace Readiness.Tests.Web;

/// <summary>
/// The detailed export's origin per row: after 千代田区 reported a system its row says municipality_report, not
/// public_baseline, so a prefecture's staff can tell reported rows from the baseline's.
/// </summary>
public sealed class RowOriginTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_reported_row_says_the_municipality_reported_it_and_a_baseline_row_says_baseline()
    {
        var record = Baseline.Create("131016", Now.AddDays(-100));
        var reported = record.FindSystem("koseki")! with { ReportedAt = Now };
        var estimated = record.FindSystem("seal_registration")!;
        var info = ReadinessCatalog.Instance.Municipalities.Single(m => m.Code == "131016");
        var origin = Array.IndexOf(ExportApi.ExportColumns, "origin");
        var today = ReadinessRules.TodayInJapan(Now);

        Assert.Equal("municipality_report", ExportApi.ExportRow(info, record, reported, today)[origin]);
        Assert.Equal("public_baseline", ExportApi.ExportRow(info, record, estimated, today)[origin]);
    }

    /// <summary>Demo data stays labelled synthetic in the export though its seed marks every system reported (it said municipality_report).</summary>
    [Fact]
    public void A_synthetic_row_says_synthetic_even_when_reported()
    {
        var record = Baseline.Create("131016", Now.AddDays(-100));
        record = record with { Provenance = record.Provenance with { Origin = DataOrigin.Synthetic } };
        var reported = record.FindSystem("koseki")! with { ReportedAt = Now };
        var info = ReadinessCatalog.Instance.Municipalities.Single(m => m.Code == "131016");
        var origin = Array.IndexOf(ExportApi.ExportColumns, "origin");

        Assert.Equal("synthetic", ExportApi.ExportRow(info, record, reported, ReadinessRules.TodayInJapan(Now))[origin]);
    }
}

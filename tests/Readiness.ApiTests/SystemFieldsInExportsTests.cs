using System.Text.Json;
using System.Text.RegularExpressions;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Readiness.Web.Api;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every export that carries a system's fields carries each member of the API's system view (a breaker's finding: the
/// details of the designation reason その他, <c>designationReasonNote</c>, were in the API, the forms, the template and the
/// history, but in no export). The members are read from the API's JSON of a municipality's system, so the next new
/// member fails here until each export has it or names it in its documented list of members left out
/// (<see cref="ExportApi.SystemMembersLeftOut"/>, <see cref="AuditApi.SystemMembersNotRecorded"/>). The prefecture
/// table (CSV and .xlsx) carries counts per municipality, no system's fields. Real host.
/// </summary>
public sealed partial class SystemFieldsInExportsTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131041"; // 新宿区
    private const string Business = "fixed_asset_tax";
    private const string Note = "独自の共通基盤に依存（出力試験）";

    [Fact]
    public async Task Every_export_carrying_systems_has_a_column_for_each_member_of_the_system_view()
    {
        using (var reporter = host.Municipality(M))
        {
            await host.PutSystem(reporter, M, Business, $$"""{"phase":"contract","designated":true,"designationReason":"other","designationTarget":"2029-03-31","designationReasonNote":"{{Note}}","regressionReason":"出力試験"}""");
        }

        var (body, _) = await host.GetMunicipality(M);
        var system = body.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == Business);
        var members = system.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("designationReasonNote", members);
        Assert.All(ExportApi.SystemMembersLeftOut.Keys.Concat(AuditApi.SystemMembersNotRecorded.Keys), m => Assert.Contains(m, members)); // no stale entry

        // The detailed export, CSV and .xlsx: a column per member (its snake_case name unless renamed), the note in its row.
        var columns = members.Where(m => !ExportApi.SystemMembersLeftOut.ContainsKey(m))
            .Select(m => ExportApi.ColumnOfSystemMember.TryGetValue(m, out var c) ? c : SnakeCase(m)).ToList();
        using var national = host.National();
        var csv = AuditForgingTests.ParseCsv((await national.GetStringAsync(new Uri("/api/v1/export/municipalities.csv?prefecture=13", UriKind.Relative))).TrimStart('\uFEFF'));
        var header = csv[0];
        var missing = columns.Where(c => !header.Contains(c)).ToList();
        Assert.True(missing.Count == 0, $"municipalities.csv has no column {string.Join(", ", missing)}");
        var row = csv.Single(r => r[0] == M && r[header.IndexOf("business_id")] == Business);
        Assert.Equal(Note, row[header.IndexOf("designation_reason_note")]);
        Assert.Equal("other", row[header.IndexOf("designation_reason")]);

        var bytes = await national.GetByteArrayAsync(new Uri("/api/v1/export/municipalities.xlsx?prefecture=13", UriKind.Relative));
        using (var document = SpreadsheetDocument.Open(new MemoryStream(bytes), false))
        {
            var sheet = document.WorkbookPart!.WorksheetParts.Single().Worksheet;
            var xlsxHeader = sheet.Descendants<Row>().First().Elements<Cell>().Select(c => c.InnerText).ToList();
            Assert.Equal(header, xlsxHeader);
            Assert.Contains(sheet.Descendants<Cell>(), c => c.InnerText == Note);
        }

        // The audit trail CSVs (a municipality's history.csv, the changes across its prefecture): each member not
        // listed as not recorded is a field of the entry's after.
        var recorded = members.Where(m => !AuditApi.SystemMembersNotRecorded.ContainsKey(m)).ToList();
        foreach (var path in new[] { $"/api/v1/municipalities/{M}/history.csv", "/api/v1/prefectures/13/changes.csv" })
        {
            var trail = AuditForgingTests.ParseCsv((await national.GetStringAsync(new Uri(path, UriKind.Relative))).TrimStart('\uFEFF'));
            var target = trail[0].IndexOf("target");
            var entry = trail.Skip(1).First(r => r[0] == M && r[target] == "system:" + Business);
            using var after = JsonDocument.Parse(entry[trail[0].IndexOf("after")]);
            var fields = after.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            var absent = recorded.Where(m => !fields.Contains(m)).ToList();
            Assert.True(absent.Count == 0, $"{path}: after has no {string.Join(", ", absent)}");
            Assert.Equal(Note, after.RootElement.GetProperty("designationReasonNote").GetString());
        }
    }

    private static string SnakeCase(string member) => Upper().Replace(member, m => "_" + m.Value.ToLowerInvariant());

    [GeneratedRegex("[A-Z]")]
    private static partial Regex Upper();
}

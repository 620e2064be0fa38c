using System.Globalization;
using System.Net;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every export that writes an instant writes it twice (docs/api.md "Dates in exports"): <c>…_at_utc</c> as before and
/// <c>…_at_jst</c>, the same instant in Japan time with +09:00, so staff reading a file in Excel read the clock they live
/// by (a report at 09:30 JST is 00:30Z, the day before at 00:00–08:59 JST). Failed before: no export had a JST column.
/// </summary>
public sealed class ExportJapanTimeTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chuo;

    public static TheoryData<string> Csvs() => new()
    {
        "/api/v1/export/municipalities.csv?prefecture=13",
        "/api/v1/prefectures/13/municipalities.csv",
        $"/api/v1/municipalities/{M}/history.csv",
        "/api/v1/prefectures/13/systems/history.csv",
        "/api/v1/prefectures/13/changes.csv",
        "/api/v1/nation/changes.csv",
        "/api/v1/reconciliation.csv",
    };

    public static TheoryData<string> Workbooks() => new()
    {
        "/api/v1/export/municipalities.xlsx?prefecture=13",
        "/api/v1/prefectures/13/municipalities.xlsx",
    };

    [Theory]
    [MemberData(nameof(Csvs))]
    public async Task Every_utc_column_of_a_csv_has_its_jst_column_the_same_instant(string path)
    {
        await ReportAsync();
        using var client = host.National();

        // A table's rows come from the prefecture's figures, which the report reaches one-way a moment after its answer
        // (as a reader polling the table sees it): read again until the report is there, for up to 10 s.
        var text = string.Empty;
        var checkedValues = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ;)
        {
            text = (await client.GetStringAsync(new Uri(path, UriKind.Relative))).TrimStart('\uFEFF');
            checkedValues = AssertJapanTime(AuditForgingTests.ParseCsv(text), path);
            if (checkedValues > 0 || path.Contains("reconciliation", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        // The reconciliation lists a row only where a report and official data disagree: its header is checked, its values when there are any.
        Assert.True(checkedValues > 0 || path.Contains("reconciliation", StringComparison.Ordinal), $"no instant checked in {path}");
    }

    [Theory]
    [MemberData(nameof(Workbooks))]
    public async Task Every_utc_column_of_a_workbook_has_its_jst_column_the_same_instant(string path)
    {
        await ReportAsync();
        using var client = host.National();
        var bytes = await client.GetByteArrayAsync(new Uri(path, UriKind.Relative));
        using var document = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        var workbook = document.WorkbookPart!;
        var shared = workbook.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToList() ?? [];
        var sheet = workbook.WorksheetParts.First();
        var rows = new List<List<string>>();
        foreach (var row in sheet.Worksheet.Descendants<Row>())
        {
            var values = new List<string>();
            foreach (var cell in row.Elements<Cell>())
            {
                var index = ColumnIndex(cell.CellReference!.Value!);
                while (values.Count < index)
                {
                    values.Add(string.Empty);
                }

                values.Add(cell.DataType?.Value == CellValues.InlineString ? cell.InlineString?.InnerText ?? string.Empty
                    : cell.DataType?.Value == CellValues.SharedString ? shared[int.Parse(cell.CellValue!.Text, CultureInfo.InvariantCulture)]
                    : cell.CellValue?.Text ?? string.Empty);
            }

            rows.Add(values);
        }

        Assert.True(AssertJapanTime(rows, path) > 0, $"no instant checked in {path}");
    }

    /// <summary>
    /// Every column named <c>…_utc</c> has a column <c>…_jst</c> (one name per concept), and in every row where the UTC
    /// cell holds an instant the JST cell holds the same instant at +09:00, its clock 9 hours ahead; where one is empty,
    /// so is the other. Answers how many instants were compared.
    /// </summary>
    public static int AssertJapanTime(List<List<string>> rows, string what)
    {
        var header = rows[0];
        var utcColumns = Enumerable.Range(0, header.Count).Where(i => header[i].EndsWith("_utc", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(utcColumns);
        var compared = 0;
        foreach (var u in utcColumns)
        {
            var jstName = header[u][..^"_utc".Length] + "_jst";
            var j = header.IndexOf(jstName);
            Assert.True(j >= 0, $"{what}: {header[u]} has no {jstName} column (header: {string.Join(',', header)})");
            foreach (var row in rows.Skip(1))
            {
                var utcText = u < row.Count ? row[u] : string.Empty;
                var jstText = j < row.Count ? row[j] : string.Empty;
                if (utcText.Length == 0)
                {
                    Assert.True(jstText.Length == 0, $"{what}: {jstName} = '{jstText}' where {header[u]} is empty");
                    continue;
                }

                var utc = DateTimeOffset.ParseExact(utcText, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                Assert.True(DateTimeOffset.TryParseExact(jstText, "yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var jst),
                    $"{what}: {jstName} = '{jstText}' is not ISO 8601 with an offset (beside {header[u]} = {utcText})");
                Assert.Equal(TimeSpan.FromHours(9), jst.Offset);
                Assert.Equal(utc, jst);
                Assert.Equal(utc.UtcDateTime.AddHours(9), jst.DateTime);
                compared++;
            }
        }

        return compared;
    }

    private static int ColumnIndex(string reference)
    {
        var index = 0;
        foreach (var c in reference.TakeWhile(char.IsLetter))
        {
            index = (index * 26) + (c - 'A' + 1);
        }

        return index - 1;
    }

    private async Task ReportAsync()
    {
        using var client = host.Municipality(M);
        await host.PutSystem(client, M, "koseki", """{"phase":"testing","plannedGoLive":"2027-04-01","vendor":"株式会社サンプル","hosting":"government_cloud","notApplicable":false,"designated":false}""");

        // A system the prefecture runs itself, so that its own trail has a row.
        using var prefecture = host.Client(host.Token(Role.Prefecture, "13"));
        using var run = await prefecture.GetAsync(new Uri("/api/v1/prefectures/13/systems/public_assistance", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        using var write = await prefecture.SendAsync(ApiHost.Request(HttpMethod.Put, "/api/v1/prefectures/13/systems/public_assistance",
            """{"phase":"testing","vendor":"県のベンダー","designated":false}""", long.Parse(run.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture)));
        Assert.True(write.IsSuccessStatusCode, $"{write.StatusCode}: {await write.Content.ReadAsStringAsync()}");
    }
}

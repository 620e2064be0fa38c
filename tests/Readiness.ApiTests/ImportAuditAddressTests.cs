using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Readiness;
using Readiness.Catalog;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// An official import's audit entries record the client address of whoever applied it, as a report's do (breaker's
/// finding: import entries had none): in the municipality's history and its CSV.
/// </summary>
public sealed class ImportAuditAddressTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Minato = "131032"; // 東京都港区

    [Fact]
    public async Task An_applied_import_records_the_client_address_on_its_audit_entries()
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToArray();
        var m = catalog.MunicipalitiesByCode[Minato];
        var file = OfficialWorkbooks.MicProgress("令和8年2月_進捗状況", labels,
            [new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name, labels.ToDictionary(l => l, _ => 1m))]); // every step complete: systems change

        using var national = host.Client(host.Token(Role.National, subject: "importer@example.go.jp"));
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        content.Add(part, "file", "tally.xlsx");
        using var upload = await national.PostAsync(new Uri("/api/v1/imports", UriKind.Relative), content);
        var uploaded = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, uploaded);
        var id = JsonDocument.Parse(uploaded).RootElement.GetProperty("id").GetString();
        using (var apply = await national.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, apply.StatusCode);
        }

        var history = JsonDocument.Parse(await national.GetStringAsync(new Uri($"/api/v1/municipalities/{Minato}/history", UriKind.Relative))).RootElement;
        var imported = history.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("subject").GetString() == "importer@example.go.jp").ToList();
        Assert.NotEmpty(imported);
        Assert.All(imported, e =>
        {
            var address = e.GetProperty("clientAddress").GetString();
            Assert.True(address is not null && IPAddress.IsLoopback(IPAddress.Parse(address)), $"clientAddress {address ?? "null"}");
        });
    }
}

using System.Net.Http.Headers;

namespace Readiness.Testing;

/// <summary>A municipality's reporting template through the API as a person's browser sends it: download, then preview or apply the edited workbook.</summary>
public static class TemplateRequests
{
    public const string XlsxMediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    /// <summary>GET /api/v1/municipalities/{code}/template.xlsx.</summary>
    public static Task<byte[]> DownloadAsync(HttpClient client, string code) =>
        client.GetByteArrayAsync(new Uri($"/api/v1/municipalities/{code}/template.xlsx", UriKind.Relative));

    /// <summary>POST the workbook as the multipart part "file" to /api/v1/municipalities/{code}/template/{step} (preview or apply).</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string code, string step, byte[] file)
    {
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue(XlsxMediaType);
        content.Add(part, "file", "template.xlsx");
        return await client.PostAsync(new Uri($"/api/v1/municipalities/{code}/template/{step}", UriKind.Relative), content);
    }
}

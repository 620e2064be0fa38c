using System.Text;

namespace Readiness.Web.Api;

/// <summary>
/// CSV for Excel: UTF-8 with a byte order mark (so Japanese opens correctly), CRLF, RFC 4180 quoting. Free text that
/// starts like a formula (= + - @ tab CR) gets a leading apostrophe, so a vendor name cannot run in a spreadsheet.
/// </summary>
public sealed class CsvOutput(Stream stream) : IAsyncDisposable
{
    private static readonly UTF8Encoding Utf8WithBom = new(encoderShouldEmitUTF8Identifier: true);

    private readonly StreamWriter writer = new(stream, Utf8WithBom, bufferSize: 64 * 1024) { NewLine = "\r\n" };

    public static async Task<IResult> Respond(HttpContext http, string fileName, Func<CsvOutput, Task> write)
    {
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        await using (var csv = new CsvOutput(http.Response.Body))
        {
            await write(csv);
        }

        return Results.Empty;
    }

    public Task Row(params string?[] values)
    {
        var line = new StringBuilder();
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                line.Append(',');
            }

            Append(line, values[i]);
        }

        return writer.WriteLineAsync(line.ToString());
    }

    /// <summary>Free text from users: neutralised against spreadsheet formula injection.</summary>
    public static string? Text(string? value) =>
        value is { Length: > 0 } && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    public async ValueTask DisposeAsync()
    {
        await writer.FlushAsync();
        await writer.DisposeAsync();
    }

    private static void Append(StringBuilder line, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(value);
            return;
        }

        line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}

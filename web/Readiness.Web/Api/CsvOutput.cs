using System.Globalization;
using CsvHelper;

namespace Readiness.Web.Api;

/// <summary>
/// The one CSV writer of every download (API exports, the audit trail, the dashboard's table), on CsvHelper: UTF-8
/// with a byte order mark (so spreadsheet software reads the Japanese), records ending in CRLF, RFC 4180 quoting. A text
/// field that starts like a formula (= + - @ tab CR) gets a leading apostrophe (CsvHelper's injection escape, as OWASP
/// recommends), so a vendor name cannot run in a spreadsheet; numbers are written as numbers and keep their sign.
/// </summary>
/// <remarks>
/// Values are formatted once here, so a concept reads the same in every file: booleans true/false, dates yyyy-MM-dd,
/// instants UTC ISO 8601 with a Z (<see cref="Instant"/>; each export adds the same instant in Japan time,
/// <see cref="InstantJst"/>, in a <c>…_jst</c> column after its last column), numbers in the invariant culture, nothing for null.
/// </remarks>
public sealed class CsvOutput : IAsyncDisposable
{
    public const string ContentType = "text/csv; charset=utf-8";

    /// <summary>The options every CSV of the product is written with.</summary>
    public static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        NewLine = "\r\n",
        WriteByteOrderMark = true,
        Injection = CsvInjection.Escape,
        TrueValue = "true",
        FalseValue = "false",
        FormatProvider = CultureInfo.InvariantCulture,
    };

    private readonly CsvWriter writer;

    public CsvOutput(Stream stream, bool leaveOpen = true) => writer = CsvWriter.Create(stream, Options, leaveOpen);

    /// <summary>Answers with a CSV attachment written by <paramref name="write"/> straight to the response.</summary>
    public static async Task<IResult> Respond(HttpContext http, string fileName, Func<CsvOutput, Task> write)
    {
        http.Response.ContentType = ContentType;
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        await using (var csv = new CsvOutput(http.Response.Body))
        {
            await write(csv);
        }

        return Results.Empty;
    }

    /// <summary>One record; each value formatted by its type (see the remarks).</summary>
    public Task Row(params object?[] values)
    {
        foreach (var value in values)
        {
            switch (value)
            {
                case null:
                    writer.WriteField((string?)null);
                    break;
                case string text:
                    writer.WriteField(text);
                    break;
                case bool flag:
                    writer.WriteField(flag);
                    break;
                case int number:
                    writer.WriteField(number, default);
                    break;
                case long number:
                    writer.WriteField(number, default);
                    break;
                case decimal number:
                    writer.WriteField(number, default);
                    break;
                case double number:
                    writer.WriteField(Math.Round(number, 4), default);
                    break;
                case DateOnly date:
                    writer.WriteField(date, "yyyy-MM-dd");
                    break;
                case DateTimeOffset at:
                    writer.WriteField(Instant(at));
                    break;
                default:
                    throw new ArgumentException($"No CSV format for {value.GetType().Name}.", nameof(values));
            }
        }

        return writer.EndRecordAsync().AsTask();
    }

    /// <summary>An instant as every CSV writes it: UTC, ISO 8601, milliseconds, Z.</summary>
    public static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The same instant in Japan time, as every export writes it in the <c>…_jst</c> column beside a <c>…_utc</c> one
    /// (<see cref="JstColumn"/>): ISO 8601, milliseconds, <c>+09:00</c>; 2026-11-25T00:30:00.000Z is
    /// 2026-11-25T09:30:00.000+09:00. Null for null (the cell stays empty, as its UTC cell). Staff open the files in
    /// Excel and read the clock they live by: a report at 09:30 JST read as 00:30Z looked like the day before.
    /// </summary>
    public static string? InstantJst(DateTimeOffset? at) =>
        at is { } a ? a.ToOffset(JapanTime.Offset).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+09:00'", CultureInfo.InvariantCulture) : null;

    /// <summary>The name of the Japan-time column of a UTC one: <c>at_utc</c> → <c>at_jst</c>, <c>reported_at_utc</c> → <c>reported_at_jst</c>.</summary>
    /// <exception cref="ArgumentException">The name does not end in <c>_utc</c>.</exception>
    public static string JstColumn(string utcColumn) => utcColumn.EndsWith("_utc", StringComparison.Ordinal)
        ? string.Concat(utcColumn.AsSpan(0, utcColumn.Length - 4), "_jst")
        : throw new ArgumentException($"'{utcColumn}' is not a UTC column.", nameof(utcColumn));

    public async ValueTask DisposeAsync()
    {
        await writer.FlushAsync();
        await writer.DisposeAsync();
    }
}

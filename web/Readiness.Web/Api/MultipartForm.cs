using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Readiness.Web.Api;

/// <summary>
/// What reading a multipart/form-data body found: the form (text fields decoded, files kept in memory up to the
/// endpoint's file limit), the name of the first text field whose bytes are not UTF-8 (or null), and the limit the body
/// broke (or null: <see cref="MultipartForm.FieldCountCode"/>, <see cref="MultipartForm.FieldLengthCode"/>,
/// <see cref="MultipartForm.BodySizeCode"/>, or <c>invalid_multipart</c> for a body that is no multipart).
/// </summary>
public sealed record MultipartRead(IFormCollection Form, string? NotUtf8, ProblemError? Fault, Exception? Error);

/// <summary>
/// One reading of a multipart/form-data body, for the dashboard's forms and the API's uploads alike: each part is read
/// once, a text part's bytes checked for UTF-8 as they are decoded (the framework's reader turns them into U+FFFD in
/// silence, so the body was read a second time to find them), and a limit broken is named (how many fields, how long a
/// field, how large the body) rather than told as a file too large. The result is the request's form
/// (<see cref="IFormFeature"/>), so antiforgery and the endpoint read it without reading the body again.
/// </summary>
public static class MultipartForm
{
    /// <summary>The most parts (text fields and files) a form may have: the framework reader's own count limit.</summary>
    public const int MaxFields = 1024;

    /// <summary>The longest text field, in bytes: a form body's whole limit (<see cref="JsonBody.MaxBodyBytes"/>, 256 KiB).</summary>
    public const int MaxFieldBytes = JsonBody.MaxBodyBytes;

    public const string FieldCountCode = "too_many_fields";
    public const string FieldLengthCode = "field_too_long";
    public const string BodySizeCode = "too_large";

    private const string ReadKey = "readiness.multipart.read";

    /// <summary>Whether the request's body is multipart/form-data.</summary>
    public static bool IsMultipart(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    /// <summary>This request's reading, when its body was read by <see cref="ReadAsync"/>; null otherwise.</summary>
    public static MultipartRead? Read(HttpContext http) => http.Items[ReadKey] as MultipartRead;

    /// <summary>
    /// Reads the body once (a second call answers the first reading) and makes it the request's form. A file is kept up
    /// to <paramref name="maxFileBytes"/> bytes and counted past that (its length says by how much, the rest is
    /// skipped), so an oversized file is told by the endpoint with its own limit. On a broken limit or a body that is no
    /// multipart, the form is empty and reading it again throws the error met (as the framework's reader would: antiforgery
    /// then tells it as before).
    /// </summary>
    public static async Task<MultipartRead> ReadAsync(HttpContext http, long maxFileBytes)
    {
        if (Read(http) is { } done)
        {
            return done;
        }

        var read = await ReadBodyAsync(http.Request, maxFileBytes, http.RequestAborted);
        http.Items[ReadKey] = read;
        http.Features.Set<IFormFeature>(new ReadFormFeature(read));
        return read;
    }

    private static async Task<MultipartRead> ReadBodyAsync(HttpRequest request, long maxFileBytes, CancellationToken cancellationToken)
    {
        var fields = new KeyValueAccumulator();
        var files = new FormFileCollection();
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || HeaderUtilities.RemoveQuotes(type.Boundary) is not { Length: > 0 and <= 70 } boundary)
        {
            var error = new InvalidDataException("Missing or invalid multipart boundary.");
            return new(FormCollection.Empty, null, Malformed(), error);
        }

        string? notUtf8 = null;
        var count = 0;
        var reader = new MultipartReader(boundary.ToString(), request.Body);
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (++count > MaxFields)
                {
                    return Failed(new ProblemError("body", FieldCountCode,
                        $"フォームの項目が多すぎます（上限 {MaxFields} 個）。送る項目を減らしてください。",
                        $"The form has too many fields (at most {MaxFields}); send fewer."), new InvalidDataException($"Form value count limit {MaxFields} exceeded."));
                }

                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !(disposition.IsFormDisposition() || disposition.IsFileDisposition()))
                {
                    return Failed(Malformed(), new InvalidDataException("Form section has invalid Content-Disposition value."));
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
                var fileName = FileName(disposition);
                if (fileName is { Length: > 0 })
                {
                    var (content, length) = await KeepAsync(section.Body, maxFileBytes, cancellationToken);
                    files.Add(new FormFile(content, 0, length, name, fileName)
                    {
                        Headers = new HeaderDictionary(section.Headers),
                    });
                    continue;
                }

                var (bytes, _) = await KeepAsync(section.Body, MaxFieldBytes, cancellationToken);
                if (bytes.Length > MaxFieldBytes)
                {
                    var shown = Problems.Shown(name, 64);
                    return Failed(new ProblemError(Problems.Named(name), FieldLengthCode,
                        $"フォームの項目「{shown}」が長すぎます（上限 {MaxFieldBytes / 1024} KiB）。短くしてから送ってください。",
                        $"The form field '{shown}' is too long (at most {MaxFieldBytes / 1024} KiB); shorten it."), new InvalidDataException($"Form value length limit {MaxFieldBytes} exceeded."));
                }

                var (utf8, encoding) = Charset(section.ContentType);
                var raw = bytes.GetBuffer().AsSpan(0, (int)bytes.Length);

                // UTF-8 (said or assumed): its bytes checked as they are decoded, never read again.
                if (utf8 && notUtf8 is null && !System.Text.Unicode.Utf8.IsValid(raw))
                {
                    notUtf8 = name;
                }

                fields.Append(name, encoding.GetString(raw));
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Failed(new ProblemError("body", BodySizeCode, "送信内容が大きすぎます。", "The body is too large."), ex);
        }
        catch (InvalidDataException ex)
        {
            // The reader's own limits (a part's headers over 16 KiB: a field name that long) and broken framing.
            return Failed(ex.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase)
                ? new ProblemError("body", FieldLengthCode, "フォームの項目名が長すぎます（上限 16 KiB）。", "A form field's name is too long (at most 16 KiB).")
                : Malformed(), ex);
        }
        catch (IOException ex)
        {
            return Failed(Malformed(), ex);
        }

        return new(new FormCollection(fields.GetResults(), files), notUtf8, null, null);

        static MultipartRead Failed(ProblemError fault, Exception error) => new(FormCollection.Empty, null, fault, error);
    }

    /// <summary>
    /// The part's file name, or null when it is no file: <c>filename*</c> (RFC 5987/8187) before <c>filename</c>. A
    /// <c>filename*</c> is taken in the two charsets RFC 8187 requires, UTF-8 and ISO-8859-1; in any other (Shift_JIS…)
    /// its percent-decoded bytes are read as UTF-8, U+FFFD where they are not, as are UTF-8 ones that are not UTF-8: the
    /// part stays a file and its name is refused as a plain <c>filename=</c> in Shift_JIS is (invalid_file_name). A
    /// breaker found it read as a text field named "file" whose bytes are not UTF-8 (invalid_utf8) when the framework
    /// could not decode it, and decoded when an import had registered the code pages.
    /// </summary>
    private static string? FileName(ContentDispositionHeaderValue disposition)
    {
        if (NameValueHeaderValue.Find(disposition.Parameters, "filename*") is { Value.HasValue: true } star)
        {
            var value = star.Value.ToString();
            var charset = value.IndexOf('\'', StringComparison.Ordinal) is var quote and > 0 ? value[..quote] : string.Empty;
            var data = value.LastIndexOf('\'') is var last and >= 0 ? value[(last + 1)..] : value;
            var bytes = PercentDecoded(data);
            if (charset.Equals("iso-8859-1", StringComparison.OrdinalIgnoreCase))
            {
                return Encoding.Latin1.GetString(bytes);
            }

            // UTF-8, or a charset RFC 8187 does not require (Shift_JIS…): read as UTF-8, whatever decoders the process
            // has registered, so the same name is refused the same way on every node and at every moment.
            return Encoding.UTF8.GetString(bytes) is { Length: > 0 } read ? read : "\uFFFD";
        }

        return disposition.IsFileDisposition() ? HeaderUtilities.RemoveQuotes(disposition.FileName).ToString() : null;
    }

    /// <summary>The bytes of a percent-encoded value (a '%' not followed by two hex digits is kept as it is).</summary>
    private static byte[] PercentDecoded(string value)
    {
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && Uri.IsHexDigit(value[i + 1]) && Uri.IsHexDigit(value[i + 2]))
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }

        return [.. bytes];
    }

    private static ProblemError Malformed() =>
        new("file", "invalid_multipart", "送信内容を読み取れませんでした（multipart/form-data）。", "The multipart body could not be read.");

    /// <summary>The part's bytes up to <paramref name="most"/> + 1 (so that "over" is known), and its whole length.</summary>
    private static async Task<(MemoryStream Kept, long Length)> KeepAsync(Stream body, long most, CancellationToken cancellationToken)
    {
        var kept = new MemoryStream();
        var buffer = new byte[81920];
        long length = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var room = (int)Math.Clamp(most + 1 - kept.Length, 0, n);
            kept.Write(buffer, 0, room);
            length += n;
        }

        kept.Position = 0;
        return (kept, length);
    }

    /// <summary>
    /// Whether the part is UTF-8 (said, or no charset: checked), and the encoding it is decoded in: a charset of its
    /// own as the framework's reader takes it (UTF-8 when the name is unknown), not checked.
    /// </summary>
    private static (bool Utf8, Encoding Encoding) Charset(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var type) || !type.Charset.HasValue
            || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || type.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return (true, Encoding.UTF8);
        }

        return (false, type.Encoding ?? Encoding.UTF8);
    }

    /// <summary>The request's form once read: the form, or the error met while reading it, thrown again as the framework's reader does.</summary>
    private sealed class ReadFormFeature(MultipartRead read) : IFormFeature
    {
        public bool HasFormContentType => true;

        public IFormCollection? Form
        {
            get => read.Error is null ? read.Form : null;
            set { }
        }

        public IFormCollection ReadForm() => read.Error is null ? read.Form : throw Rethrown();

        public Task<IFormCollection> ReadFormAsync(CancellationToken cancellationToken) => read.Error is null ? Task.FromResult(read.Form) : Task.FromException<IFormCollection>(Rethrown());

        private Exception Rethrown() => read.Error switch
        {
            BadHttpRequestException bad => new BadHttpRequestException(bad.Message, bad.StatusCode, bad),
            InvalidDataException invalid => new InvalidDataException(invalid.Message, invalid),
            { } other => new IOException(other.Message, other),
            null => new InvalidOperationException(),
        };
    }
}

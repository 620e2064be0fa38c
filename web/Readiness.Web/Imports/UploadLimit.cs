namespace Readiness.Web.Imports;

/// <summary>
/// Endpoint metadata of a file upload (multipart field "file"): the largest file it takes, in bytes. The body cap
/// (<see cref="Api.ApiServices"/>) lets through twice <see cref="BodyBytes"/>, so that the endpoint itself answers an
/// oversized file with a 413 naming "file" and its own limit, before Kestrel cuts the connection.
/// </summary>
public sealed record UploadLimit(long MaxFileBytes)
{
    /// <summary>The file plus multipart framing (64 KiB).</summary>
    public static long BodyBytes(long maxFileBytes) => maxFileBytes + (64 * 1024);

    /// <summary>
    /// Kestrel's cap on the body: twice <see cref="BodyBytes"/>; for a body without a length (chunked), which can only be
    /// measured by reading it, at least past the size where the upload's advice changes
    /// (<see cref="OfficialWorkbook.NotThisKindAboveBytes"/>: a "template" over 8 MB is told it is no template), so a
    /// chunked body refused at the cap is known to be past it and gets that advice, as one with a length does (a
    /// breaker's finding, round 46: a chunked 9 MB template upload was told to enter only values in its template).
    /// </summary>
    public static long ServerCapBytes(long maxFileBytes, bool chunked) =>
        chunked && OfficialWorkbook.NotThisKindAboveBytes(maxFileBytes) is { } above
            ? Math.Max(2 * BodyBytes(maxFileBytes), BodyBytes(above))
            : 2 * BodyBytes(maxFileBytes);

    /// <summary>
    /// What is known of the size of an upload refused at Kestrel's cap: its Content-Length, or for a chunked body the
    /// cap it went past (<see cref="ServerCapBytes"/>), a lower bound (<c>AtLeast</c>).
    /// </summary>
    public static (long Bytes, bool AtLeast) SentPastCap(HttpRequest request, long maxFileBytes) =>
        request.ContentLength is { } length ? (length, false) : (ServerCapBytes(maxFileBytes, chunked: true), true);
}

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
}

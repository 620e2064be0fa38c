using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Readiness.Web.Summaries;

/// <summary>
/// Turns the summary views into API responses: the API's own JSON options (camelCase, snake_case enum names), once per
/// version, compressed by <see cref="CompressedPayload"/>. The ETag of an aggregate is its version sum and when it was
/// computed (a new day re-computes flags without a new version), equal on every web node for equal data.
/// </summary>
public sealed class SummarySerializer(IOptions<JsonOptions> json)
{
    public const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>Revalidate on every use: a summary can change at any moment, and a 304 costs the client nothing.</summary>
    public const string CacheControl = "private, no-cache";

    public CompressedPayload Response<T>(T view, string etag) =>
        new(JsonSerializer.SerializeToUtf8Bytes(view, json.Value.SerializerOptions), JsonContentType, etag, CompressionLevel.Fastest);

    /// <summary>"versionSum-computedAtTicks(hex)", quoted.</summary>
    public static string ETag(long versionSum, DateTimeOffset computedAt) =>
        FormattableString.Invariant($"\"{versionSum}-{computedAt.UtcTicks:x}\"");
}

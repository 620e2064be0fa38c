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
    public const string CacheControl = Api.Preconditions.RevalidateEachTime;

    public CompressedPayload Response<T>(T view, string etag) =>
        new(JsonSerializer.SerializeToUtf8Bytes(view, json.Value.SerializerOptions), JsonContentType, etag, CompressionLevel.Fastest);

    /// <summary>"versionSum-computedAtTicks(hex)", quoted.</summary>
    public static string ETag(long versionSum, DateTimeOffset computedAt) =>
        FormattableString.Invariant($"\"{versionSum}-{computedAt.UtcTicks:x}\"");

    /// <summary>
    /// The nation's: as <see cref="ETag(long, DateTimeOffset)"/> plus the ids of the official datasets its sources name
    /// (first 8 hex digits each), for a newly applied dataset changes the sources before the figures have moved.
    /// </summary>
    public static string ETag(long versionSum, DateTimeOffset computedAt, IReadOnlyList<Api.SourceView> sources)
    {
        var key = string.Concat(sources.Where(s => s.ImportedAt is not null).Select(s => "-" + s.Id[..Math.Min(8, s.Id.Length)]));
        return FormattableString.Invariant($"\"{versionSum}-{computedAt.UtcTicks:x}{key}\"");
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Readiness.Web.Components;

/// <summary>
/// Versioned URLs for the files under wwwroot (<c>/css/dashboard.css?v={hash}</c>), served with a one-year immutable
/// cache. Plain static files plus response compression behave the same from `dotnet run`, tests and a publish; the
/// framework's static-asset endpoints serve build output uncompressed, which is the common way this product runs.
/// </summary>
public sealed class AssetUrls(IWebHostEnvironment environment)
{
    private readonly ConcurrentDictionary<string, string> urls = new(StringComparer.Ordinal);

    public string this[string path] => urls.GetOrAdd(path, p =>
    {
        var file = environment.WebRootFileProvider.GetFileInfo(p);
        if (!file.Exists)
        {
            return "/" + p;
        }

        using var stream = file.CreateReadStream();
        return $"/{p}?v={Convert.ToHexStringLower(SHA256.HashData(stream))[..12]}";
    });

    /// <summary>A year for versioned requests (the URL changes with the content), revalidation otherwise.</summary>
    public static void SetCacheHeaders(Microsoft.AspNetCore.StaticFiles.StaticFileResponseContext context)
    {
        context.Context.Response.Headers.CacheControl = context.Context.Request.Query.ContainsKey("v")
            ? "public, max-age=31536000, immutable"
            : "no-cache";
    }
}

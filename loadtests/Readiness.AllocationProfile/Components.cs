// Shared with Readiness.CpuProfile (linked there), so that allocation and CPU are charged to the same parts.
/// <summary>
/// The part of a server a method belongs to, by its namespace: the product's own code, or one of the libraries the write
/// path is built on; null for the runtime's general-purpose code (collections, strings, tasks), which a tick is charged to
/// the nearest caller of. So a string built by the bearer handler counts as authentication, one built by our code as ours.
/// </summary>
internal static class Components
{
    private static readonly (string Prefix, string Part)[] Parts =
    [
        ("Readiness.", "the product (Readiness.*)"),
        ("Orleans.", "Orleans"),
        ("Microsoft.AspNetCore.Server.Kestrel", "Kestrel (HTTP/1.1, sockets)"),
        ("System.Net.", "Kestrel (HTTP/1.1, sockets)"),
        ("System.IO.Pipelines", "Kestrel (HTTP/1.1, sockets)"),
        ("Microsoft.AspNetCore.Authentication", "authentication (JwtBearer, cookies, IdentityModel, OpenIddict)"),
        ("Microsoft.IdentityModel", "authentication (JwtBearer, cookies, IdentityModel, OpenIddict)"),
        ("System.IdentityModel", "authentication (JwtBearer, cookies, IdentityModel, OpenIddict)"),
        ("System.Security.Claims", "authentication (JwtBearer, cookies, IdentityModel, OpenIddict)"),
        ("OpenIddict.", "authentication (JwtBearer, cookies, IdentityModel, OpenIddict)"),
        ("Microsoft.AspNetCore.Authorization", "authorization"),
        ("Microsoft.AspNetCore.RateLimiting", "rate limiting"),
        ("System.Threading.RateLimiting", "rate limiting"),
        ("Microsoft.Data.Sqlite", "SQLite (Microsoft.Data.Sqlite)"),
        ("SQLitePCL", "SQLite (Microsoft.Data.Sqlite)"),
        ("Npgsql", "PostgreSQL (Npgsql)"),
        ("System.Text.Json", "JSON (System.Text.Json)"),
        ("OpenTelemetry", "telemetry (OpenTelemetry, metrics, activities)"),
        ("System.Diagnostics.Metrics", "telemetry (OpenTelemetry, metrics, activities)"),
        ("System.Diagnostics.Activity", "telemetry (OpenTelemetry, metrics, activities)"),
        ("Microsoft.Extensions.Logging", "logging"),
        ("Microsoft.AspNetCore.", "ASP.NET Core (routing, middleware, minimal API)"),
        ("Microsoft.Extensions.", "ASP.NET Core (routing, middleware, minimal API)"),
        ("System.IO.Compression", "compression (zlib)"),
    ];

    /// <summary>The part <paramref name="method"/> (a full method name) belongs to, or null for the runtime's general code.</summary>
    public static string? Of(string method)
    {
        foreach (var (prefix, part) in Parts)
        {
            if (method.StartsWith(prefix, StringComparison.Ordinal))
            {
                return part;
            }
        }

        return null;
    }
}

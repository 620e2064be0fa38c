using Microsoft.AspNetCore.DataProtection;

namespace Readiness.Web.Identity;

/// <summary>
/// ASP.NET Core's data protection key ring (what protects the sign-in and second-factor cookies, antiforgery tokens and
/// password reset links) kept in the product's own database, in <see cref="Table"/>, under one application name.
/// Without it every node kept its own ring in its home folder: behind a load balancer a cookie one web node issued was
/// refused by the next (the Kubernetes manifests run 2–10), and a container whose home folder is not kept (read-only
/// root) lost the ring at every restart, signing everyone out and voiding mailed links.
/// </summary>
/// <remarks>
/// The keys are stored as ASP.NET Core writes them, not encrypted again: whoever can read this table can read every
/// account table beside it, so it is protected as the database is (docs/identity.md).
/// </remarks>
public static class KeyRing
{
    public const string Table = "readiness_data_protection_keys";

    /// <summary>One name for every node and version (the default is the content root's path, which differs between hosts).</summary>
    public const string ApplicationName = "Readiness";

    public static IServiceCollection AddReadinessKeyRing(this IServiceCollection services)
    {
        services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToDbContext<IdentityDb>();
        return services;
    }
}

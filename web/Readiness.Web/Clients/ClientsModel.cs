using Microsoft.EntityFrameworkCore;

namespace Readiness.Web.Clients;

/// <summary>What an API client may do with its tenant: read, or read and report (write).</summary>
public enum ClientScope
{
    Read,
    Write,
}

/// <summary>
/// An API client (OAuth 2.0 client credentials, RFC 6749 §4.4) as an administrator created it: one tenant (a
/// municipality or a prefecture), one scope, an expiry, and who created (and revoked) it. Its secret lives only as
/// OpenIddict's hash in the application store; this row is the product's own record beside it.
/// </summary>
public sealed class ApiClient
{
    public string ClientId { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>The 6-digit municipality code or the 2-digit prefecture code.</summary>
    public string Tenant { get; set; } = string.Empty;

    public ClientScope Scope { get; set; }

    public DateTime ExpiresAtUtc { get; set; }

    public DateTime CreatedAtUtc { get; set; }

    /// <summary>The creating administrator's subject (e-mail for an account).</summary>
    public string CreatedBy { get; set; } = string.Empty;

    public DateTime? RevokedAtUtc { get; set; }

    public string? RevokedBy { get; set; }

    public bool IsActive(DateTime nowUtc) => RevokedAtUtc is null && ExpiresAtUtc > nowUtc;
}

/// <summary>
/// The API clients and OpenIddict's stores (applications, authorizations, scopes, tokens) in the product's own
/// database, tables prefixed readiness_ like the identity tables (<see cref="Identity.IdentityDb"/>).
/// </summary>
public sealed class ClientsDb(DbContextOptions<ClientsDb> options) : DbContext(options)
{
    public DbSet<ApiClient> ApiClients => Set<ApiClient>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>().ToTable("readiness_oauth_applications");
        modelBuilder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreAuthorization>().ToTable("readiness_oauth_authorizations");
        modelBuilder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreScope>().ToTable("readiness_oauth_scopes");
        modelBuilder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken>().ToTable("readiness_oauth_tokens");
        modelBuilder.Entity<ApiClient>(c =>
        {
            c.ToTable("readiness_api_clients");
            c.HasKey(x => x.ClientId);
            c.Property(x => x.ClientId).HasMaxLength(64);
            c.Property(x => x.Name).HasMaxLength(100);
            c.Property(x => x.Tenant).HasMaxLength(6);
            c.Property(x => x.Scope).HasConversion<string>().HasMaxLength(10);
            c.Property(x => x.CreatedBy).HasMaxLength(256);
            c.Property(x => x.RevokedBy).HasMaxLength(256);
            c.HasIndex(x => x.Tenant);
        });
    }
}

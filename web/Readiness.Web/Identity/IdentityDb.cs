using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Readiness.Web.Identity;

/// <summary>
/// The identity store (EF Core) in the product's own database: the SQLite file of the data folder (embedded) or the
/// cluster's PostgreSQL. Tables are prefixed readiness_ so they sit beside the Orleans and audit tables. It also holds
/// ASP.NET Core's data protection key ring (<see cref="KeyRing"/>).
/// </summary>
public sealed class IdentityDb(DbContextOptions<IdentityDb> options) : IdentityDbContext<ReadinessUser>(options), IDataProtectionKeyContext
{
    /// <inheritdoc />
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Invitation> Invitations => Set<Invitation>();

    public DbSet<SetupToken> SetupTokens => Set<SetupToken>();

    public DbSet<AdminLogEntry> AdminLog => Set<AdminLogEntry>();

    public DbSet<AccountSession> Sessions => Set<AccountSession>();

    public DbSet<AccountCounter> Counters => Set<AccountCounter>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<ReadinessUser>(u =>
        {
            u.ToTable("readiness_users");
            u.Property(x => x.AccountRole).HasConversion<string>().HasMaxLength(40);
            u.Property(x => x.Tenant).HasMaxLength(6);
            u.Property(x => x.DisplayName).HasMaxLength(100);
            u.Property(x => x.InvitedBy).HasMaxLength(256);
            u.HasIndex(x => x.Tenant);
        });
        builder.Entity<IdentityRole>().ToTable("readiness_roles");
        builder.Entity<IdentityUserRole<string>>().ToTable("readiness_user_roles");
        builder.Entity<IdentityUserClaim<string>>().ToTable("readiness_user_claims");
        builder.Entity<IdentityUserLogin<string>>().ToTable("readiness_user_logins");
        builder.Entity<IdentityRoleClaim<string>>().ToTable("readiness_role_claims");
        builder.Entity<IdentityUserToken<string>>().ToTable("readiness_user_tokens");
        builder.Entity<IdentityUserPasskey<string>>().ToTable("readiness_user_passkeys"); // Identity schema version 3
        builder.Entity<DataProtectionKey>().ToTable(KeyRing.Table);
        builder.Entity<AccountSession>(s =>
        {
            s.ToTable("readiness_sessions");
            s.HasKey(x => x.Id);
            s.Property(x => x.Id).HasMaxLength(32);
            s.Property(x => x.UserId).HasMaxLength(450);
            s.Property(x => x.ClientAddress).HasMaxLength(64);
            s.Property(x => x.UserAgent).HasMaxLength(512);
            s.Property(x => x.Method).HasMaxLength(20);
            s.HasIndex(x => x.UserId);
        });
        builder.Entity<AccountCounter>(c =>
        {
            c.ToTable(AccountCounters.Table);
            c.HasKey(x => new { x.Key, x.WindowStart });
            c.Property(x => x.Key).HasMaxLength(200);
        });
        builder.Entity<Invitation>(i =>
        {
            i.ToTable("readiness_invitations");
            i.HasKey(x => x.Id);
            i.Property(x => x.TokenHash).HasMaxLength(64);
            i.HasIndex(x => x.TokenHash).IsUnique();
            i.Property(x => x.Email).HasMaxLength(256);
            i.Property(x => x.AccountRole).HasConversion<string>().HasMaxLength(40);
            i.Property(x => x.Tenant).HasMaxLength(6);
            i.Property(x => x.InvitedBy).HasMaxLength(256);
        });
        builder.Entity<SetupToken>(s =>
        {
            s.ToTable("readiness_setup_tokens");
            s.HasKey(x => x.Id);
            s.Property(x => x.TokenHash).HasMaxLength(64);
        });
        builder.Entity<AdminLogEntry>(a =>
        {
            a.ToTable("readiness_admin_log");
            a.HasKey(x => x.Id);
            a.Property(x => x.Action).HasMaxLength(40);
            a.HasIndex(x => x.AtUtc);
            a.HasIndex(x => x.TargetTenant);
        });
    }
}

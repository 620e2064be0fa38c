using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Testing;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// One open invitation per address holds when administrators invite the same address at the same instant, on SQLite
/// and on PostgreSQL: before, each request found none open and each added one (two links, only the first accepted
/// could ever make the account). The PostgreSQL case failed before the fix (12 invitations); on SQLite in WAL, as the
/// product runs it, the single writer made the race too narrow to meet here, and the case stays as a check.
/// </summary>
public sealed class ConcurrentInvitationTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const int Inviters = 12;

    [Fact]
    public async Task Administrators_inviting_one_address_at_once_make_one_open_invitation_on_sqlite()
    {
        var folder = Directory.CreateTempSubdirectory("readiness-invite-race-");
        try
        {
            await InviteAtOnceAsync(o => o.UseSqlite($"Data Source={Path.Combine(folder.FullName, "readiness.db")};Pooling=False;Default Timeout=60"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Administrators_inviting_one_address_at_once_make_one_open_invitation_on_postgresql()
    {
        var connectionString = await postgres.CreateDatabaseAsync("invite_race");
        await InviteAtOnceAsync(o => o.UseNpgsql(connectionString));
    }

    private static async Task InviteAtOnceAsync(Action<DbContextOptionsBuilder> provider)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<IdentityDb>(provider);
        services.AddDataProtection();
        services.AddIdentityCore<ReadinessUser>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3).AddEntityFrameworkStores<IdentityDb>().AddDefaultTokenProviders();
        services.AddOptions<AccountOptions>();
        services.AddOptions<SmtpOptions>(); // no host: the link is shown, nothing is mailed
        services.AddOptions<PasswordResetTokenProviderOptions>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<AccountMail>();
        services.AddSingleton<DeactivatedAccounts>();
        services.AddScoped<AccountSessions>();
        services.AddScoped<AccountService>();
        await using var container = services.BuildServiceProvider();

        ReadinessUser[] administrators;
        await using (var scope = container.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
            Assert.True(await IdentitySchema.EnsureAsync(db));
            if (!db.Database.IsNpgsql())
            {
                // As the product's database is (SqliteSchema): in WAL, readers never wait on a writer's lock. In the default
                // rollback journal a connection's first statement could meet a committer's lock while it reads the schema,
                // where Microsoft.Data.Sqlite does not wait, and fail at once ("database is locked"; a CI run met it).
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            }
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ReadinessUser>>();
            administrators = new ReadinessUser[Inviters];
            for (var i = 0; i < Inviters; i++)
            {
                administrators[i] = new ReadinessUser
                {
                    UserName = $"admin{i}@digital.go.jp", Email = $"admin{i}@digital.go.jp", DisplayName = $"管理者 {i}",
                    AccountRole = AccountRole.SystemAdministrator, CreatedAtUtc = DateTime.UtcNow,
                };
                Assert.True((await users.CreateAsync(administrators[i])).Succeeded);
            }
        }

        // Each administrator on a scope (a request) of its own, all released at once.
        using var start = new SemaphoreSlim(0, Inviters);
        var invites = administrators.Select(async actor =>
        {
            await using var scope = container.CreateAsyncScope();
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            await start.WaitAsync();
            return (await accounts.InviteAsync(actor, "same.person@city.chiyoda.lg.jp", "national_staff", null, new Uri("http://localhost/"), null, CancellationToken.None)).Result;
        }).ToArray();
        start.Release(Inviters);
        var results = await Task.WhenAll(invites);

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal("invitation_open", r.Code));
        await using (var scope = container.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
            Assert.Equal(1, await db.Invitations.CountAsync(i => i.Email == "same.person@city.chiyoda.lg.jp"));
        }
    }
}

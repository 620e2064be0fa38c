using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Testing;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A database made before passkeys, sessions and account counters existed gets their tables at start-up (IdentitySchema), on SQLite and
/// on PostgreSQL, and the tables work; a second start changes nothing.
/// </summary>
public sealed class IdentitySchemaUpgradeTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Tables_added_since_an_older_sqlite_database_was_made_are_created_at_start()
    {
        var folder = Directory.CreateTempSubdirectory("readiness-identity-upgrade-");
        try
        {
            await UpgradeAsync(o => o.UseSqlite($"Data Source={Path.Combine(folder.FullName, "readiness.db")};Pooling=False"), postgresql: false);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Tables_added_since_an_older_postgresql_database_was_made_are_created_at_start()
    {
        var connectionString = await postgres.CreateDatabaseAsync("identity");
        await UpgradeAsync(o => o.UseNpgsql(connectionString), postgresql: true);
    }

    [Fact]
    public void The_create_statements_of_a_table_are_its_table_and_indexes_only()
    {
        const string script = """
            CREATE TABLE "readiness_users" ("Id" TEXT NOT NULL);

            CREATE TABLE "readiness_sessions" ("Id" TEXT NOT NULL, "UserId" TEXT NOT NULL);

            CREATE INDEX "IX_readiness_sessions_UserId" ON "readiness_sessions" ("UserId");

            CREATE UNIQUE INDEX "UserNameIndex" ON "readiness_users" ("NormalizedUserName");
            """;
        var statements = IdentitySchema.CreateStatements(script, ["readiness_sessions"]);
        Assert.Equal(2, statements.Count);
        Assert.StartsWith("CREATE TABLE \"readiness_sessions\"", statements[0], StringComparison.Ordinal);
        Assert.Contains("ON \"readiness_sessions\"", statements[1], StringComparison.Ordinal);

        // Npgsql leaves names unquoted when they need no quotes; a table whose name only starts alike is not taken.
        const string unquoted = """
            CREATE TABLE readiness_sessions (id text NOT NULL);

            CREATE TABLE readiness_sessions_old (id text NOT NULL);

            CREATE INDEX ix_readiness_sessions_user_id ON readiness_sessions (user_id);
            """;
        Assert.Equal(2, IdentitySchema.CreateStatements(unquoted, ["readiness_sessions"]).Count);
    }

    private static async Task UpgradeAsync(Action<DbContextOptionsBuilder> provider, bool postgresql)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<IdentityDb>(provider);
        services.AddIdentityCore<ReadinessUser>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3).AddEntityFrameworkStores<IdentityDb>();
        await using var provider_ = services.BuildServiceProvider();

        // The database as an earlier version left it: every identity table but the two added since.
        await using (var scope = provider_.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
            Assert.True(await IdentitySchema.EnsureAsync(db));
            await db.Database.ExecuteSqlRawAsync("DROP TABLE \"readiness_user_passkeys\"");
            await db.Database.ExecuteSqlRawAsync("DROP TABLE \"readiness_sessions\"");
            await db.Database.ExecuteSqlRawAsync($"DROP TABLE \"{AccountCounters.Table}\"");
        }

        await using (var scope = provider_.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
            Assert.True(await IdentitySchema.EnsureAsync(db), "the missing tables were not created");
            Assert.False(await IdentitySchema.EnsureAsync(db), "a second start changed something");

            // The tables work: an account with a passkey and a session.
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ReadinessUser>>();
            var user = new ReadinessUser { UserName = "upgrade@digital.go.jp", Email = "upgrade@digital.go.jp", DisplayName = "移行 確認", CreatedAtUtc = DateTime.UtcNow };
            Assert.True((await users.CreateAsync(user)).Succeeded);
            var passkey = new UserPasskeyInfo([1, 2, 3, 4], [5, 6, 7], DateTimeOffset.UtcNow, 0, ["internal"], isUserVerified: true, isBackupEligible: false, isBackedUp: false, attestationObject: [8], clientDataJson: [9]) { Name = "庁舎のPC" };
            Assert.True((await users.AddOrUpdatePasskeyAsync(user, passkey)).Succeeded);
            Assert.Equal("庁舎のPC", Assert.Single(await users.GetPasskeysAsync(user)).Name);
            db.Sessions.Add(new AccountSession { Id = "0123456789abcdef0123456789abcdef", UserId = user.Id, CreatedAtUtc = DateTime.UtcNow, LastSeenAtUtc = DateTime.UtcNow, Method = "passkey" });
            await db.SaveChangesAsync();
            Assert.Equal(1, await db.Sessions.CountAsync(s => s.UserId == user.Id));
            Assert.Equal(postgresql, db.Database.IsNpgsql());
        }

        // The account counters work, and two contexts (as two web nodes) add to one count: 3 allowed, then refused.
        var answers = new List<bool>();
        for (var i = 0; i < 5; i++)
        {
            await using var node = provider_.CreateAsyncScope();
            var counters = new AccountCounters(node.ServiceProvider.GetRequiredService<IdentityDb>(), TimeProvider.System);
            answers.Add(await counters.TryCountAsync("password_reset_mail:upgrade", 3, TimeSpan.FromHours(1)));
        }

        Assert.Equal([true, true, true, false, false], answers);
    }
}

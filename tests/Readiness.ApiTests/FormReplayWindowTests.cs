using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Readiness.Testing;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A form's replay guard (<see cref="FormReplays"/>) holds for a fixed 24 hours from the form's first post, on SQLite and
/// on PostgreSQL: a reload a minute after midnight UTC of a form first posted a minute before is still a replay, one 23
/// hours 59 minutes later too, one 24 hours later is taken as new (and claims the form again). Failed before (SQLite and
/// PostgreSQL alike): the claim ended with the UTC day it was made in, so the reload at 00:00:30 acted again.
/// </summary>
public sealed class FormReplayWindowTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task On_sqlite_a_claim_holds_24_hours_from_the_first_post_across_midnight_utc()
    {
        var folder = Directory.CreateTempSubdirectory("readiness-form-replay-");
        try
        {
            await HoldsFromFirstPostAsync(o => o.UseSqlite($"Data Source={Path.Combine(folder.FullName, "readiness.db")};Pooling=False"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task On_postgresql_a_claim_holds_24_hours_from_the_first_post_across_midnight_utc()
    {
        var connectionString = await postgres.CreateDatabaseAsync("formreplay");
        await HoldsFromFirstPostAsync(o => o.UseNpgsql(connectionString));
    }

    private static async Task HoldsFromFirstPostAsync(Action<DbContextOptionsBuilder> provider)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<IdentityDb>(provider);
        services.AddIdentityCore<ReadinessUser>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3).AddEntityFrameworkStores<IdentityDb>();
        await using var root = services.BuildServiceProvider();
        await using (var scope = root.CreateAsyncScope())
        {
            Assert.True(await IdentitySchema.EnsureAsync(scope.ServiceProvider.GetRequiredService<IdentityDb>()));
        }

        var first = new DateTimeOffset(2026, 12, 6, 23, 59, 30, TimeSpan.Zero); // 08:59:30 JST
        var clock = new SetClock(first);
        var http = new DefaultHttpContext();
        http.Request.Path = "/admin/clients/rc_0123456789/secret";
        var form = new FormCollection(new Dictionary<string, StringValues> { ["__RequestVerificationToken"] = "token-of-one-rendered-page" });
        var other = new FormCollection(new Dictionary<string, StringValues> { ["__RequestVerificationToken"] = "token-of-another-page" });

        // Each post from its own scope, as each request (and each web node) has its own context.
        async Task<bool> PostAsync(IFormCollection fields, TimeSpan after)
        {
            clock.Now = first + after;
            await using var scope = root.CreateAsyncScope();
            var replays = new FormReplays(new AccountCounters(scope.ServiceProvider.GetRequiredService<IdentityDb>(), clock));
            return await replays.FirstAsync(http, "user-1", fields, CancellationToken.None);
        }

        Assert.True(await PostAsync(form, TimeSpan.Zero), "the first post claims the form");
        Assert.False(await PostAsync(form, TimeSpan.FromSeconds(20)), "a reload the same minute");
        Assert.False(await PostAsync(form, TimeSpan.FromMinutes(1)), "a reload after midnight UTC (the claim's day ended)");
        Assert.True(await PostAsync(other, TimeSpan.FromMinutes(1)), "another rendering of the form is another form");
        Assert.False(await PostAsync(form, TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1)), "a reload within 24 hours of the first post");
        Assert.True(await PostAsync(form, TimeSpan.FromHours(24)), "24 hours after the first post the form is taken as new");
        Assert.False(await PostAsync(form, TimeSpan.FromHours(24) + TimeSpan.FromMinutes(30)), "and claimed again from then");
    }

    private sealed class SetClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}

using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>An <see cref="ApiHost"/> whose clock (the one TimeProvider of web and silo) is <see cref="Clock"/>.</summary>
public sealed class ShiftedClockHost(ShiftedClock clock) : ApiHost
{
    public ShiftedClock Clock => clock;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));
    }
}

/// <summary>
/// A municipality's view (and a prefecture's own systems') holds flags that turn with the day: stale 30 days after the
/// last report, past target the day after a designation's target. Its ETag was the version alone, so a client holding
/// "stale": false revalidated with If-None-Match past the 30 days and got 304, keeping the old flag (integrator's
/// finding). Now a view whose flags turned carries the version and a digest of the flags; If-Match still takes it.
/// </summary>
public sealed class DayFlagsETagTests : IAsyncLifetime
{
    private readonly ShiftedClockHost host = new(new ShiftedClock());

    public async Task InitializeAsync()
    {
        await host.InitializeAsync();
        await host.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync() => await ((IAsyncLifetime)host).DisposeAsync();

    // Valid both now and 40 days on: the clock moves, the token stays.
    private string Token(Role role, string? tenant) => host.Token(role, tenant, lifetime: TimeSpan.FromDays(60));

    private static async Task<HttpResponseMessage> Get(HttpClient client, string path, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_municipality_turned_stale_is_not_answered_304_and_its_new_tag_still_writes()
    {
        using var client = host.Client(Token(Role.Municipality, ApiHost.Chiyoda));
        await host.PutSystem(client, ApiHost.Chiyoda, "koseki", """{"phase":"in_production","designated":false}""");
        const string path = $"/api/v1/municipalities/{ApiHost.Chiyoda}";
        using var fresh = await Get(client, path);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var version = (await ApiHost.Json(fresh)).GetProperty("version").GetInt64();
        Assert.False((await ApiHost.Json(fresh)).GetProperty("stale").GetBoolean());
        Assert.Equal($"\"{version}\"", fresh.Headers.ETag?.Tag); // the day it was made: the version, as ever

        host.Clock.Offset = TimeSpan.FromDays(40);
        using var later = await Get(client, path, $"\"{version}\"");
        Assert.Equal(HttpStatusCode.OK, later.StatusCode); // 304 before: the cached "stale": false stayed current
        var body = await ApiHost.Json(later);
        Assert.True(body.GetProperty("stale").GetBoolean());
        Assert.Equal(version, body.GetProperty("version").GetInt64());
        var tag = later.Headers.ETag!.Tag;
        Assert.Matches($"^\"{version}-[0-9a-f]{{8}}\"$", tag);

        // The new tag revalidates (304) while the flags stay so, and HEAD agrees with GET.
        using var again = await Get(client, path, tag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(tag, head.Headers.ETag?.Tag);

        // ...and is an If-Match a write takes as the version; a write makes a version of today.
        using var write = new HttpRequestMessage(HttpMethod.Put, $"{path}/systems/koseki")
        {
            Content = new StringContent("""{"phase":"in_production","designated":false,"vendor":"日付の検証"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        write.Headers.TryAddWithoutValidation("If-Match", tag);
        using var written = await client.SendAsync(write);
        Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        Assert.Equal($"\"{version + 1}\"", written.Headers.ETag?.Tag);

        // A tag of a version that is no longer current, in either form, is still a 412.
        using var stale = new HttpRequestMessage(HttpMethod.Put, $"{path}/systems/koseki")
        {
            Content = new StringContent("""{"phase":"in_production","designated":false,"vendor":"遅れた書き込み"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        stale.Headers.TryAddWithoutValidation("If-Match", tag);
        using var refused = await client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
    }

    [Fact]
    public async Task A_prefectures_own_system_past_its_target_is_not_answered_304()
    {
        using var client = host.Client(Token(Role.Prefecture, "13"));
        const string path = "/api/v1/prefectures/13/systems";
        using var before = await Get(client, path);
        var version = (await ApiHost.Json(before)).GetProperty("version").GetInt64();
        var target = Readiness.Rules.ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow).AddDays(3).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using var put = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/public_assistance",
            $$"""{"phase":"testing","designated":true,"designationReason":"vendor_capacity","designationTarget":"{{target}}"}""", version));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var fresh = await Get(client, path);
        var tag = fresh.Headers.ETag!.Tag;
        Assert.Equal($"\"{version + 1}\"", tag);

        host.Clock.Offset = TimeSpan.FromDays(10);
        using var later = await Get(client, path, tag);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode); // 304 before
        var system = (await ApiHost.Json(later)).GetProperty("systems").EnumerateArray()
            .Single(s => s.GetProperty("businessId").GetString() == "public_assistance");
        Assert.True(system.GetProperty("system").GetProperty("pastTarget").GetBoolean());
        Assert.NotEqual(tag, later.Headers.ETag?.Tag);
    }
}

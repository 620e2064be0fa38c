using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A disposed app is collectable: nothing static (timers, caches) keeps its services, silo and grain state reachable.
/// A process that starts and disposes many apps (this test project: ~140 hosts of ~125 MB each) otherwise holds them
/// all; CI's ApiTests process reached 18.5 GB of the machine's 24 GB. Known roots: the rate limiter middleware's own
/// endpoint limiter (dotnet/aspnetcore#69259), the chained global limiters, a static per-endpoint cache, and each SQLite
/// connection pool's prune timer (it holds the execution context the pool was made in, and so the host being built).
/// </summary>
public sealed class HostLifetimeTests
{
    [Fact]
    public async Task A_disposed_host_and_its_services_are_collected()
    {
        // The first app in a process may stay reachable for good: a thread the runtime starts once (the EventCounters
        // poll) keeps the execution context it started in, which holds the host being built then. Every later app must go.
        await StartUseAndDisposeAsync();
        var (host, services) = await StartUseAndDisposeAsync();
        for (var i = 0; i < 20 && (host.IsAlive || services.IsAlive); i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers();
            await Task.Delay(250); // timers and the silo's shutdown loops finish on the thread pool
        }

        Assert.False(services.IsAlive, "the disposed app's service provider is still reachable (a static root or a running timer holds it)");
        Assert.False(host.IsAlive, "the disposed app is still reachable");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference Host, WeakReference Services)> StartUseAndDisposeAsync()
    {
        var host = new ApiHost();
        await ((Xunit.IAsyncLifetime)host).InitializeAsync();
        await host.WaitUntilReadyAsync();
        using (var http = host.Municipality(ApiHost.Chiyoda))
        {
            // Through the rate limiter (both policies), the endpoints' caches and a grain.
            using var read = await http.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            using var unknown = await http.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}?nope=1");
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }

        var services = new WeakReference(host.Services.GetRequiredService<IHostApplicationLifetime>());
        var weakHost = new WeakReference(host);
        await ((Xunit.IAsyncLifetime)host).DisposeAsync();
        return (weakHost, services);
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// A schema step under a PostgreSQL advisory lock fails with the reason the lock could not be taken (PostgreSQL not
/// reachable), not with the unlock's "Connection is not open" from its finally.
/// </summary>
public class AdvisoryLockTests
{
    [Fact]
    public async Task The_identity_schema_on_an_unreachable_database_fails_naming_the_connection()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<IdentityDb>(o => o.UseNpgsql($"Host=127.0.0.1;Port={ClosedPort()};Timeout=5;Pooling=false"));
        services.AddIdentityCore<ReadinessUser>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3).AddEntityFrameworkStores<IdentityDb>();
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => IdentitySchema.EnsureAsync(db));
        Assert.Contains("Failed to connect", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>A loopback port nobody listens on (taken and given back).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

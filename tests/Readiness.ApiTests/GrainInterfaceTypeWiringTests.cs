using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Metadata;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>The running host asks <see cref="RememberedGrainInterfaceTypes"/> first, and a request's grain reference is answered from it.</summary>
public sealed class GrainInterfaceTypeWiringTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_host_resolves_grain_interfaces_from_memory_first()
    {
        var providers = host.Services.GetServices<IGrainInterfaceTypeProvider>().ToList();
        var remembered = Assert.IsType<RememberedGrainInterfaceTypes>(providers[0]);
        Assert.Single(providers, p => p is RememberedGrainInterfaceTypes);

        using var client = host.Client(host.Token(Role.Municipality, ApiHost.Chiyoda));
        using var read = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.True(remembered.Knows(typeof(IMunicipalityGrain)));
    }
}

using System.Net;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The server's bearer handler checks a token's signature once per reuse window (<see cref="RememberedTokens"/>), and
/// what it remembers never lets through a token it would refuse.
/// </summary>
public sealed class RememberedTokenWiringTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_bearer_handler_remembers_valid_tokens_and_still_refuses_bad_ones()
    {
        var handlers = host.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme).TokenHandlers;
        var remembered = Assert.IsType<RememberedTokens>(Assert.Single(handlers));
        var before = remembered.Count;

        var token = host.Token(Role.Municipality, ApiHost.Chiyoda, subject: "remembered-" + Guid.NewGuid().ToString("N"));
        using var client = host.Client(token);
        for (var i = 0; i < 3; i++)
        {
            using var read = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        Assert.Equal(before + 1, remembered.Count);

        // The same token for another municipality: remembered, and still only its own tenant.
        using (var other = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Osaka}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }

        // The same claims with one character of the signature changed: refused, and not remembered.
        var forged = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];
        using var forger = host.Client(forged);
        using (var refused = await forger.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Assert.Equal(before + 1, remembered.Count);
    }
}

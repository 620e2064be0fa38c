using Microsoft.Extensions.Configuration;
using Readiness.Web.Api;
using Xunit;
using Readiness.Testing;

namespace Readiness.ApiTests;

/// <summary>
/// The limits web/Readiness.Web/appsettings.json ships are the options' own defaults, which docs/api.md lists: a value
/// written in both places drifts. StreamsPerNode did: the class said 10,000 (what one node was measured to serve), the
/// file still 4,000 and won, so the viewers load test got 4,000 of 10,000 streams.
/// </summary>
public sealed class ShippedSettingsTests
{
    [Fact]
    public void The_shipped_rate_limits_are_the_documented_defaults()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(RepositoryFolder.Root, "web/Readiness.Web/appsettings.json")).Build();
        var shipped = new RateLimitOptions();
        configuration.GetSection(RateLimitOptions.Section).Bind(shipped);
        var defaults = new RateLimitOptions();

        foreach (var property in typeof(RateLimitOptions).GetProperties())
        {
            Assert.True(Equals(property.GetValue(defaults), property.GetValue(shipped)),
                $"appsettings.json sets {RateLimitOptions.Section}:{property.Name} = {property.GetValue(shipped)}, the default is {property.GetValue(defaults)}");
        }

        // Each limit that has a number of its own is listed in docs/api.md with that number.
        var documented = File.ReadAllText(Path.Combine(RepositoryFolder.Root, "docs/api.md"));
        foreach (var property in typeof(RateLimitOptions).GetProperties().Where(p => p.PropertyType == typeof(int)))
        {
            Assert.Contains($"| `Readiness__RateLimits__{property.Name}` | {property.GetValue(defaults)} |", documented, StringComparison.Ordinal);
        }
    }
}

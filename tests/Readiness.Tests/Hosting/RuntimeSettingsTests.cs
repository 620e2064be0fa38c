using System.Text.Json;
using System.Xml.Linq;
using Xunit;
using Readiness.Testing;

namespace Readiness.Tests.Hosting;

/// <summary>
/// The product hosts' JIT settings (docs/performance.md, "Tiered compilation"): our code fully optimised at its first
/// call and no instrumented tier. The web node and the silo run the same way.
/// </summary>
public sealed class RuntimeSettingsTests
{
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["System.Runtime.TieredCompilation.QuickJit"] = "false",
        ["System.Runtime.TieredPGO"] = "false",
    };

    [Fact]
    public void The_web_node_runs_with_the_measured_jit_settings()
    {
        // The web project's runtimeconfig.json is copied next to the tests that reference it.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Readiness.Web.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        foreach (var (name, value) in Expected)
        {
            Assert.True(properties.TryGetProperty(name, out var actual), $"{name} is missing from Readiness.Web.runtimeconfig.json");
            Assert.Equal(value, actual.ToString().ToLowerInvariant());
        }
    }

    [Theory]
    [InlineData("web/Readiness.Web/Readiness.Web.csproj")]
    [InlineData("silo/Readiness.Silo/Readiness.Silo.csproj")]
    public void Each_host_project_asks_for_them(string project)
    {
        var root = RepositoryFolder.Root;
        var xml = XDocument.Load(Path.Combine(root, project));
        string? Property(string name) => xml.Descendants(name).SingleOrDefault()?.Value;
        Assert.Equal("false", Property("TieredCompilationQuickJit"));
        Assert.Equal("false", Property("TieredPGO"));
    }
}

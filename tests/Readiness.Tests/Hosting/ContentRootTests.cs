using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Readiness.Hosting;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>Where a host reads its appsettings.json from, and the configured log level the start filter keeps.</summary>
public sealed class ContentRootTests : IDisposable
{
    private readonly string current = Directory.CreateTempSubdirectory("readiness-cwd-").FullName;
    private readonly string program = Directory.CreateTempSubdirectory("readiness-program-").FullName;

    [Fact]
    public void A_start_from_a_folder_without_settings_reads_the_programs_own()
    {
        File.WriteAllText(Path.Combine(program, ContentRoot.SettingsFile), "{}");
        Assert.Equal(program, ContentRoot.Choose(current, program));
    }

    [Fact]
    public void The_current_folder_stands_when_it_holds_settings_or_the_program_has_none()
    {
        Assert.Equal(current, ContentRoot.Choose(current, program));
        File.WriteAllText(Path.Combine(current, ContentRoot.SettingsFile), "{}");
        File.WriteAllText(Path.Combine(program, ContentRoot.SettingsFile), "{}");
        Assert.Equal(current, ContentRoot.Choose(current, program));
    }

    [Theory]
    [InlineData(null, null, null, LogLevel.Information)]
    [InlineData("Warning", null, null, LogLevel.Warning)]
    [InlineData("Warning", "Debug", null, LogLevel.Debug)]
    [InlineData("Warning", "Debug", "Error", LogLevel.Error)]
    public void The_host_category_keeps_its_configured_level(string? @default, string? prefix, string? exact, LogLevel expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = @default,
            ["Logging:LogLevel:Microsoft.Extensions"] = prefix,
            ["Logging:LogLevel:" + StartRefusal.HostCategory] = exact,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Assert.Equal(expected, StartRefusal.ConfiguredLevel(configuration, StartRefusal.HostCategory));
    }

    public void Dispose()
    {
        Directory.Delete(current, recursive: true);
        Directory.Delete(program, recursive: true);
    }
}

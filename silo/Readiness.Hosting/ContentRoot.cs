using Microsoft.AspNetCore.Builder;

namespace Readiness.Hosting;

/// <summary>
/// Where a host reads appsettings.json and its web assets from. ASP.NET Core takes the current directory, so a server
/// started from another folder (a service unit without WorkingDirectory, <c>dotnet /opt/readiness/Readiness.Web.dll</c>
/// from a shell elsewhere) silently ran without its appsettings.json: its log levels, console format and settings
/// were the framework's defaults (operator's finding, round 29).
/// </summary>
public static class ContentRoot
{
    /// <summary>The settings file whose presence marks a content root.</summary>
    public const string SettingsFile = "appsettings.json";

    /// <summary>
    /// The builder's options: <paramref name="args"/> and the content root <see cref="Choose"/> picks, unless the
    /// operator names one (--contentRoot, ASPNETCORE_CONTENTROOT, DOTNET_CONTENTROOT), which then stands.
    /// </summary>
    public static WebApplicationOptions Options(string[] args)
    {
        var named = args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        return new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = named ? null : Choose(Directory.GetCurrentDirectory(), AppContext.BaseDirectory),
        };
    }

    /// <summary>
    /// <paramref name="current"/> when it holds <see cref="SettingsFile"/> (dotnet run, a container's WORKDIR) or
    /// when <paramref name="program"/> does not either; else <paramref name="program"/>, the folder of the program.
    /// </summary>
    public static string Choose(string current, string program) =>
        File.Exists(Path.Combine(current, SettingsFile)) || !File.Exists(Path.Combine(program, SettingsFile)) ? current : program;
}

using System.Diagnostics;
using System.Text;
using Readiness.Hosting;
using Readiness.Testing;

namespace Readiness.ClientTests;

/// <summary>The product's embedded host on a real Kestrel port, and the contract it serves at /openapi/v1.json.</summary>
public sealed class ContractHost : IAsyncLifetime
{
    public ReadinessWebHost Host { get; private set; } = null!;

    /// <summary>The served OpenAPI document, as fetched over HTTP.</summary>
    public string Contract { get; private set; } = string.Empty;

    public string BaseUrl => Host.BaseAddress.ToString().TrimEnd('/');

    public async Task InitializeAsync()
    {
        var data = Directory.CreateTempSubdirectory("readiness-clienttests-").FullName;
        Host = new ReadinessWebHost(data, new Dictionary<string, string?>
        {
            ["Readiness:WarmUp"] = "false",
            ["Readiness:RateLimits:WritesPerMinute"] = "100000",
            ["Readiness:RateLimits:ReadsPerMinute"] = "100000",
        });
        using var client = Host.CreateNationalClient();
        Contract = await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));

        // The nation aggregates 1,741 municipalities on its first activation; until then reads may answer 503 (as documented).
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            using var nation = await client.GetAsync(new Uri("/api/v1/nation", UriKind.Relative));
            if (nation.IsSuccessStatusCode || DateTime.UtcNow > deadline)
            {
                nation.EnsureSuccessStatusCode();
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    public async Task DisposeAsync()
    {
        var data = Host.DataPath;
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may hold the file a moment longer; the temp folder is the OS's to clean.
        }
    }

    public string Token(Role role, string? tenant = null, string? subject = null) => Host.Token(role, tenant, subject);
}

[CollectionDefinition(Name)]
public sealed class ContractCollection : ICollectionFixture<ContractHost>
{
    public const string Name = "contract";
}

/// <summary>The repository's folders (the tests run from bin/; the linter and generator configuration live in the repository).</summary>
public static class Repository
{
    public static string Root { get; } = RepositoryFolder.Root;

    public static string LintFolder => Path.Combine(Root, "tests", "openapi-lint");

    public static string GeneratedFolder => Path.Combine(Root, "tests", "Readiness.ClientTests", "Generated");
}

/// <summary>Runs a command line tool (npm, redocly, dotnet kiota) and collects its output.</summary>
public static class Tool
{
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No telemetry, update checks or tutorials: the tools speak to nobody but the registries they install from.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        start.Environment["KIOTA_TUTORIAL_ENABLED"] = "false";
        start.Environment["KIOTA_OFFLINE_ENABLED"] = "true";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + fileName);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

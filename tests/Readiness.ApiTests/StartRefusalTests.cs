using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The web process, run as an operator runs it, refuses a start it cannot make in one line naming the setting and exits
/// with a plain code: not an unhandled exception's stack trace and SIGABRT (134), which systemd and Kubernetes take for
/// a crash.
/// </summary>
public class StartRefusalTests
{
    [Theory]
    [InlineData("Readiness__Mode", "Clustr", "Readiness:Mode")]
    [InlineData("Readiness__Auth__RequireMfa", "flase", "Readiness:Auth:RequireMfa")]
    [InlineData("Readiness__Metrics__AllowedNetworks", "garbage", "Readiness:Metrics:AllowedNetworks")]
    [InlineData("ASPNETCORE_URLS", "http://localhost:99999", "99999")]
    [InlineData("Readiness__Smtp__Port", "abc", "Readiness:Smtp:Port")]
    [InlineData("Readiness__Smtp__Security", "Foo", "Readiness:Smtp:Security = 'Foo'")]
    [InlineData("Readiness__Auth__PublicUrl", "not a url", "Readiness:Auth:PublicUrl = 'not a url'")]
    [InlineData("Readiness__RateLimits__WritesPerMinute", "-5", "Readiness:RateLimits:WritesPerMinute = -5")]
    [InlineData("Readiness__Auth__LockoutDuration", "-00:01:00", "Readiness:Auth:LockoutDuration")]
    [InlineData("Readiness__Backup__Retain", "0", "Readiness:Backup:Retain = 0")]
    [InlineData("Readiness__DataPth", "/var/lib/readiness-elsewhere", "Readiness:DataPth is not a setting; did you mean Readiness:DataPath?")]
    public async Task A_setting_that_cannot_start_the_server_is_one_line_naming_it_and_a_plain_exit(string variable, string value, string named)
    {
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { [variable] = value });
        AssertRefused(exit, output, named);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_address_and_a_plain_exit()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });
        // Kestrel binds after the co-hosted silo has started, and that silo's grains log faults with stacks while the
        // disposed host goes down (not yet fixed): here only the host's own stack of the failed start is judged.
        AssertRefused(exit, output, $"127.0.0.1:{port}", siloStarted: true);
    }

    [Theory]
    [InlineData("Readiness__SiloPort", "Readiness:SiloPort")]
    [InlineData("Readiness__GatewayPort", "Readiness:GatewayPort")]
    public async Task A_silo_or_gateway_port_another_server_listens_on_is_refused_though_Orleans_would_share_it(string variable, string setting)
    {
        // Listening as Orleans does (ReuseAddress: SO_REUSEADDR and SO_REUSEPORT on Linux), which let a second server
        // bind the same port beside it before.
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { [variable] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        AssertRefused(exit, output, $"{setting}={port}: the port is in use");
    }

    private static void AssertRefused(int exit, string output, string named, bool siloStarted = false)
    {
        Assert.True(exit == 2, $"exit {exit}:\n{output}");
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);

        // Only the one line: no framework log of the failed start with the exception's stack above it.
        Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);
        if (!siloStarted)
        {
            Assert.False(output.Contains("   at ", StringComparison.Ordinal), $"a stack trace in the output:\n{output}");
        }
        var line = output.Split('\n').SingleOrDefault(l => l.StartsWith("起動できません / Cannot start: ", StringComparison.Ordinal));
        Assert.True(line is not null, output);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }

    /// <summary>Runs Readiness.Web.dll on a data folder of its own with the settings; stdout and stderr together.</summary>
    private static async Task<(int Exit, string Output)> RunWebAsync(IDictionary<string, string> settings)
    {
        var data = Path.Combine(Path.GetTempPath(), "readiness-start-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Readiness.Web.dll"));
            start.Environment["Readiness__DataPath"] = data;
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
            start.Environment["DOTNET_DbgEnableMiniDump"] = "0";

            // Ports of its own for the co-hosted silo: the defaults (11111, 30000) may be another process's on a shared machine.
            start.Environment["Readiness__SiloPort"] = Readiness.Testing.TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["Readiness__GatewayPort"] = Readiness.Testing.TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (key, value) in settings)
            {
                start.Environment[key] = value;
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                return (-1, "still running after 90 s (the setting was taken):\n" + await output + await error);
            }

            return (process.ExitCode, await output + await error);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}

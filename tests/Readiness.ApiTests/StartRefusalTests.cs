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

    [Theory]
    [InlineData("ASPNETCORE_URLS", "http://127.0.0.1:{0}", "ASPNETCORE_URLS (urls) 'http://127.0.0.1:{0}'")]
    [InlineData("ASPNETCORE_URLS", "http://localhost:{0}", "ASPNETCORE_URLS (urls) 'http://localhost:{0}'")]
    [InlineData("ASPNETCORE_HTTP_PORTS", "{0}", "ASPNETCORE_HTTP_PORTS (http_ports) 'http://*:{0}'")]
    [InlineData("Kestrel__Endpoints__Web__Url", "http://127.0.0.1:{0}", "Kestrel:Endpoints:Web:Url 'http://127.0.0.1:{0}'")]
    public async Task A_web_port_in_use_is_one_line_naming_the_setting_before_the_silo_starts(string variable, string value, string named)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string Format(string s) => string.Format(System.Globalization.CultureInfo.InvariantCulture, s, port);
        var settings = new Dictionary<string, string> { [variable] = Format(value) };
        if (variable != "ASPNETCORE_URLS")
        {
            settings["ASPNETCORE_URLS"] = ""; // only the setting under test names an address
        }

        var (exit, output) = await RunWebAsync(settings);

        // Refused before the co-hosted silo started: before, Kestrel found the port taken only after the silo had joined,
        // and the silo's shutdown logged faults with stacks above the refusal.
        AssertRefused(exit, output, Format(named));
        Assert.DoesNotContain("Silo shutdown", output, StringComparison.Ordinal);
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

    [Fact]
    public async Task A_server_started_from_another_folder_reads_its_own_appsettings()
    {
        // A service unit without WorkingDirectory: before, the content root was the current folder, so appsettings.json
        // was not read (no console timestamps, the framework's log levels, none of its settings).
        var elsewhere = Directory.CreateTempSubdirectory("readiness-cwd-").FullName;
        try
        {
            var start = WebProcess(new Dictionary<string, string>(), Directory.CreateTempSubdirectory("readiness-start-").FullName);
            start.WorkingDirectory = elsewhere;
            using var process = Process.Start(start)!;
            var lines = new List<string>();
            string? listening = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                while (listening is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                {
                    lines.Add(line);
                    listening = line.Contains("Now listening on", StringComparison.Ordinal) ? lines[^2] + "\n" + line : null;
                }
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                Directory.Delete(start.Environment["Readiness__DataPath"]!, recursive: true);
            }

            Assert.True(listening is not null, string.Join('\n', lines));

            // appsettings.json's console format puts a UTC timestamp before each entry's level.
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info: Microsoft\.Hosting\.Lifetime", listening);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    private static void AssertRefused(int exit, string output, string named)
    {
        Assert.True(exit == 2, $"exit {exit}:\n{output}");
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);

        // Only the one line: no framework log of the failed start with the exception's stack above it.
        Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);

        // Nor the host's debug lines ("Hosting starting") that the filter above once let through past the configured level.
        Assert.DoesNotContain("dbug:", output, StringComparison.Ordinal);
        Assert.False(output.Contains("   at ", StringComparison.Ordinal), $"a stack trace in the output:\n{output}");
        var line = output.Split('\n').SingleOrDefault(l => l.StartsWith("起動できません / Cannot start: ", StringComparison.Ordinal));
        Assert.True(line is not null, output);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }

    /// <summary>Readiness.Web.dll on the data folder with its own silo ports and the settings, output redirected.</summary>
    private static ProcessStartInfo WebProcess(IDictionary<string, string> settings, string data)
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

        return start;
    }

    /// <summary>Runs Readiness.Web.dll on a data folder of its own with the settings; stdout and stderr together.</summary>
    private static async Task<(int Exit, string Output)> RunWebAsync(IDictionary<string, string> settings)
    {
        var data = Path.Combine(Path.GetTempPath(), "readiness-start-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            var start = WebProcess(settings, data);
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

using System.Diagnostics;
using System.Net.Sockets;

namespace Readiness.Testing;

/// <summary>
/// A real HTTP forward proxy for a test: tinyproxy (Debian's <c>tinyproxy</c>, installed by .ci/run) on a free loopback
/// port, allowing only loopback clients, logging each connection it makes. It adds <c>Via: 1.1 tinyproxy
/// (tinyproxy/…)</c> to what it forwards, so a receiver can tell a request came through it.
/// </summary>
public sealed class ForwardProxy : IDisposable
{
    private readonly Process process;
    private readonly string folder;

    private ForwardProxy(Process process, string folder, int port)
    {
        this.process = process;
        this.folder = folder;
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>The proxy, as a client names it (http://127.0.0.1:port).</summary>
    public Uri Url { get; }

    /// <summary>The proxy's log so far: one "Established connection to host …" line per connection it opened.</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : string.Empty;

    private string LogPath => Path.Combine(folder, "tinyproxy.log");

    /// <summary>Starts tinyproxy and waits until it accepts connections; fails (never skips) when it is not installed.</summary>
    public static async Task<ForwardProxy> StartAsync()
    {
        var binary = new[] { "/usr/bin/tinyproxy", "/usr/sbin/tinyproxy" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("tinyproxy is not installed: `apt-get install tinyproxy` (bash .ci/run installs it).");
        var folder = Directory.CreateTempSubdirectory("readiness-proxy-").FullName;
        var port = TestPorts.Free();
        var config = Path.Combine(folder, "tinyproxy.conf");
        await File.WriteAllTextAsync(config, $"""
            Port {port}
            Listen 127.0.0.1
            Timeout 30
            LogFile "{Path.Combine(folder, "tinyproxy.log")}"
            LogLevel Info
            MaxClients 50
            Allow 127.0.0.1
            """);
        var process = Process.Start(new ProcessStartInfo(binary, ["-d", "-c", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var proxy = new ForwardProxy(process, folder, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return proxy;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                var output = process.HasExited ? await process.StandardError.ReadToEndAsync() : "(still running)";
                proxy.Dispose();
                throw new InvalidOperationException($"tinyproxy did not listen on {port}: {output}");
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        finally
        {
            process.Dispose();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A log still being written: the temp folder is cleaned with the machine.
            }
        }
    }
}

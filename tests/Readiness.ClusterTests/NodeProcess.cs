using System.Collections.Concurrent;
using System.Diagnostics;

namespace Readiness.ClusterTests;

/// <summary>A silo or web node run as a real process (dotnet Readiness.Silo.dll / Readiness.Web.dll), output kept for diagnosis.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> tail = new();

    private NodeProcess(string name, Process process, int httpPort)
    {
        Name = name;
        this.process = process;
        HttpPort = httpPort;
    }

    public string Name { get; }

    public int HttpPort { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>The exit code once the process has exited.</summary>
    public int ExitCode => process.ExitCode;

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    public static NodeProcess Start(string name, string dll, int httpPort, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Readiness"] = "Information";
        start.Environment["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new NodeProcess(name, process, httpPort);
        process.OutputDataReceived += (_, e) => node.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => node.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>kill -9: no shutdown, no goodbye to the cluster.</summary>
    public void KillHard() => process.Kill(entireProcessTree: false);

    /// <summary>SIGTERM, as an orchestrator would: the silo leaves the cluster and deactivates its grains.</summary>
    public async Task StopAsync(TimeSpan patience)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(patience);
        }
        catch (TimeoutException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string Tail(int lines = 40) => string.Join('\n', tail.TakeLast(lines));

    public bool Wrote(string fragment) => tail.Any(l => l.Contains(fragment, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        tail.Enqueue(line);
        while (tail.Count > 2000)
        {
            tail.TryDequeue(out _);
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace Readiness.Testing;

/// <summary>
/// Free loopback ports, so test hosts never collide with each other or with a running product. A port is handed out
/// once per process and comes from below the kernel's ephemeral range (32768–60999 on Linux): a port merely probed free
/// and released could otherwise be taken by Kestrel's port 0 or an outgoing connection before the silo binds it
/// (CI saw "Address already in use" that way).
/// </summary>
public static class TestPorts
{
    private const int First = 20000;
    private const int Last = 32000;
    private static int next = First + (Environment.ProcessId * 97 % (Last - First));

    public static int Free()
    {
        for (var tries = 0; tries < Last - First; tries++)
        {
            var candidate = First + ((Interlocked.Increment(ref next) - First) % (Last - First));
            if (CanBind(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"No free loopback port in {First}–{Last}.");
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "readiness-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A host still closing its SQLite file; the OS temp folder is cleaned eventually.
        }
    }
}

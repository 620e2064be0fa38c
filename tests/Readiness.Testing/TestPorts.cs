using System.Net;
using System.Net.Sockets;

namespace Readiness.Testing;

/// <summary>Free loopback ports, so test hosts never collide with each other or with a running product.</summary>
public static class TestPorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

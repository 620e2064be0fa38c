using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace Readiness.Hosting;

/// <summary>
/// Refuses a start whose silo or gateway port another process is listening on. Orleans binds its listeners with
/// ReuseAddress, which .NET maps on Linux to SO_REUSEADDR and SO_REUSEPORT: a second process given the same ports binds
/// them too, and the kernel then shares incoming connections between the two (operator's finding: two embedded servers
/// with different data folders both listened on 11111 and 30000, so a gateway client could reach the other's data).
/// </summary>
public static class ListenPorts
{
    /// <summary>
    /// Throws InvalidOperationException naming the setting, the port and the way out when a socket without
    /// SO_REUSEPORT cannot bind <paramref name="address"/>:port, i.e. another socket is listening there. SO_REUSEADDR
    /// alone is set so that connections of a previous run in TIME_WAIT do not count (a restart within a minute).
    /// </summary>
    public static void EnsureFree(IPAddress address, params (string Setting, int Port)[] ports)
    {
        // A port out of range or given twice is named here, before the probe: IPEndPoint's "Specified argument was out
        // of the range" named no setting, and the same port twice passed the probe (each probe closes before the next).
        if (Problems(ports).ToList() is { Count: > 0 } problems)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }

        foreach (var (setting, port) in ports)
        {
            if (port == 0)
            {
                continue; // the system picks a free one
            }

            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (OperatingSystem.IsLinux())
            {
                // SOL_SOCKET (1), SO_REUSEADDR (2), which .NET also sets by default on Unix; the ReuseAddress option would add
                // SO_REUSEPORT and bind beside the other.
                probe.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));
            }

            try
            {
                probe.Bind(new IPEndPoint(address, port));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                throw StartRefusal.Refused($"{setting} = {port}",
                    $"このポートは {address} で使用中です。別の Readiness サーバー（または別のプログラム）が待ち受けています。それを止めるか、Readiness__SiloPort と Readiness__GatewayPort で別のポートを指定してください",
                    $"the port is in use on {address} ({e.Message}); another Readiness server (or another program) is listening there. " +
                    "Stop it, or give this server other ports with Readiness__SiloPort and Readiness__GatewayPort.", e);
            }
        }
    }

    /// <summary>
    /// One message per port outside 0 (the system picks one) to 65535, and per port given to two settings, naming the
    /// settings and the value in Japanese and English; empty when none.
    /// </summary>
    public static IEnumerable<string> Problems(params (string Setting, int Port)[] ports)
    {
        foreach (var (setting, port) in ports.Where(p => p.Port is < 0 or > IPEndPoint.MaxPort))
        {
            yield return $"{setting} = {port}: 0〜65535 のポート番号を指定してください / must be a port number from 0 to 65535.";
        }

        for (var i = 0; i < ports.Length; i++)
        {
            for (var j = i + 1; j < ports.Length; j++)
            {
                if (ports[i].Port == ports[j].Port && ports[i].Port is > 0 and <= IPEndPoint.MaxPort)
                {
                    yield return $"{ports[j].Setting} = {ports[j].Port}: {ports[i].Setting} と同じポートです。別のポートを指定してください / is the same port as {ports[i].Setting}; give each its own.";
                }
            }
        }
    }

    /// <summary>
    /// Probes the ports now (so the refusal comes before anything else starts) and again in the silo's lifecycle just
    /// before Orleans binds its listeners (stage RuntimeInitialize - 1): a process that took a port in the second or so
    /// between configuration and the bind would otherwise be joined through SO_REUSEPORT (review finding of stop 45).
    /// </summary>
    public static void Refuse(ISiloBuilder silo, IPAddress address, params (string Setting, int Port)[] ports)
    {
        EnsureFree(address, ports);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new BeforeBind(address, ports));
    }

    /// <summary>The second probe, one stage before the silo's and the gateway's connection listeners bind.</summary>
    private sealed class BeforeBind(IPAddress address, (string Setting, int Port)[] ports) : ILifecycleParticipant<ISiloLifecycle>
    {
        /// <summary>Orleans' connection listeners subscribe at RuntimeInitialize - 1.</summary>
        public const int Stage = ServiceLifecycleStage.RuntimeInitialize - 2;

        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(ListenPorts), Stage, _ =>
            {
                EnsureFree(address, ports);
                return Task.CompletedTask;
            });
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>
/// Declares a silo dead as soon as its process is seen to have exited, rather than after missed probes.
/// </summary>
/// <remarks>
/// With the cluster's failure detection (<see cref="ClusterHosting.ConfigureFailureDetection"/>) a killed silo is declared
/// dead after two missed probes, ~1.6 s, and every call to its grains fails or waits until then: that was most of a
/// failover's pause (docs/performance.md, twelfth round). But a process that exits (<c>kill -9</c>, a crash, the OOM
/// killer) leaves a sign at once: the kernel closes its sockets, so the connections to it close, and its silo port then
/// refuses connections (TCP RST, <see cref="SocketError.ConnectionRefused"/>). When a connection between this silo and
/// another closes, this checks the silo port of every other active silo once (a connection the other silo opened
/// carries no sign of which silo it was, and Orleans sends both ways over it); a silo whose port refuses is declared
/// dead (<see cref="IClusterMembershipService.TryKill"/>, the same record in the membership table as a vote by probes).
/// Anything else leaves the decision to the probes: an accepted connection (the silo is alive; the connection closed
/// for another reason), a timeout or an unreachable host (a machine that vanished or a partition sends no RST). A silo
/// that is leaving on purpose is never declared dead here: the membership table is read again first, and only a silo
/// still recorded as <see cref="SiloStatus.Active"/> is, because a graceful shutdown records its end before it closes
/// its listener.
/// </remarks>
public sealed partial class SiloExitDetector(
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    IMeterFactory meters,
    ILogger<SiloExitDetector> logger)
{
    /// <summary>How long a check's connection attempt may take before the decision is left to the probes.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A connection that closes younger than this is no sign of an exit: each check's own connections are accepted by
    /// the other silos and closed at once (seen there as an inbound connection of ~5 ms that never sent its preamble),
    /// and counting those would set them checking back, and this one again, without end. A silo killed within a second
    /// of a connection opening is left to the probes.
    /// </summary>
    public static readonly TimeSpan MinimumLifetime = TimeSpan.FromSeconds(1);

    // A process's sockets close together as it exits; the pause keeps the check from racing the listener's own close.
    private static readonly TimeSpan SettleDelay = TimeSpan.FromMilliseconds(20);

    private readonly Counter<long> declared = meters.Create(ReadinessMetrics.MeterName)
        .CreateCounter<long>("readiness.membership.exited_silos_declared_dead", description: "Silos declared dead because their silo port refused connections after a connection between silos closed");

    private readonly Counter<long> checks = meters.Create(ReadinessMetrics.MeterName)
        .CreateCounter<long>("readiness.membership.exit_checks", description: "Checks of the other active silos' ports after a connection between silos closed");

    // 0: idle; 1: a check runs; 2: a check runs and another connection closed meanwhile (check once more after it).
    private int checking;

    /// <summary>
    /// Whether a connection attempt's outcome shows the process behind the endpoint has exited: only a refusal does
    /// (nothing listens on the port). A timeout, an unreachable host or network, or an accepted connection do not.
    /// </summary>
    public static bool ShowsExit(SocketError outcome) => outcome == SocketError.ConnectionRefused;

    /// <summary>Whether the close of a connection that lived <paramref name="lifetime"/> calls for a check (<see cref="MinimumLifetime"/>).</summary>
    public static bool IsSign(TimeSpan lifetime) => lifetime >= MinimumLifetime;

    /// <summary>Adds the detector to the silo's connections with other silos, both ways (<see cref="SiloConnectionOptions"/>).</summary>
    public static void AddTo(IServiceCollection services)
    {
        services.AddSingleton<SiloExitDetector>();
        services.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloOutboundConnection(Watch);
            o.ConfigureSiloInboundConnection(Watch);
        });

        static void Watch(IConnectionBuilder builder)
        {
            var detector = builder.ApplicationServices.GetRequiredService<SiloExitDetector>();
            builder.Use(next => async context =>
            {
                var opened = Stopwatch.GetTimestamp();
                try
                {
                    await next(context);
                }
                finally
                {
                    if (IsSign(Stopwatch.GetElapsedTime(opened)))
                    {
                        detector.OnConnectionClosed();
                    }
                }
            });
        }
    }

    /// <summary>A connection with another silo closed: check the other silos, once at a time (never throws).</summary>
    public void OnConnectionClosed()
    {
        if (Interlocked.Increment(ref checking) == 1)
        {
            _ = Task.Run(CheckUntilQuietAsync);
        }
        else
        {
            // Already checking: one more round afterwards covers this close too.
            Interlocked.Exchange(ref checking, 2);
        }
    }

    private async Task CheckUntilQuietAsync()
    {
        do
        {
            Interlocked.Exchange(ref checking, 1);
            try
            {
                await CheckAsync();
            }
            catch (Exception ex)
            {
                LogCheckFailed(logger, ex);
            }
        }
        while (Interlocked.CompareExchange(ref checking, 0, 1) != 1);
    }

    /// <summary>Checks every other active silo's port; declares dead those that refuse and are still active in the table.</summary>
    private async Task CheckAsync()
    {
        if (membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress) != SiloStatus.Active)
        {
            return;
        }

        await Task.Delay(SettleDelay);
        checks.Add(1);
        var peers = ActivePeers(membership.CurrentSnapshot, local.SiloAddress);
        var outcomes = await Task.WhenAll(peers.Select(async p => (Silo: p, Outcome: await TryConnectAsync(p.Endpoint, CheckTimeout))));
        var exited = outcomes.Where(o => ShowsExit(o.Outcome)).Select(o => o.Silo).ToList();
        if (exited.Count == 0)
        {
            return;
        }

        // A silo leaving on purpose has recorded so in the table before closing its listener: read the table again.
        await membership.Refresh();
        foreach (var silo in exited.Where(s => membership.CurrentSnapshot.GetSiloStatus(s) == SiloStatus.Active))
        {
            LogDeclaringDead(logger, silo);
            if (await membership.TryKill(silo))
            {
                declared.Add(1);
            }
        }
    }

    /// <summary>The silos recorded as active in <paramref name="snapshot"/>, other than <paramref name="self"/>.</summary>
    public static IReadOnlyList<SiloAddress> ActivePeers(ClusterMembershipSnapshot snapshot, SiloAddress self) =>
        snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self))
            .Select(m => m.SiloAddress)
            .ToList();

    /// <summary>One TCP connection attempt: <see cref="SocketError.Success"/> (closed again at once), or why it failed.</summary>
    public static async Task<SocketError> TryConnectAsync(IPEndPoint endpoint, TimeSpan timeout)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, cancel.Token);
            return SocketError.Success;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            return SocketError.TimedOut;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} refuses connections on its silo port after a connection between silos closed: its process has exited; declaring it dead")]
    private static partial void LogDeclaringDead(ILogger logger, SiloAddress silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking whether another silo has exited failed; the probes decide")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}

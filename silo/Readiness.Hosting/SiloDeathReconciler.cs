using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>
/// When a silo dies, the one-way summary pushes it had sent or was about to receive may be lost, so aggregates could
/// lag behind municipalities until the next periodic reconciliation. One surviving silo (the first by address, so
/// only one acts) therefore asks the nation for a deep reconciliation right away: every prefecture reads every
/// municipality's stored state again (one query each, no activations: the dead silo's municipalities activate again
/// elsewhere only as their own calls come).
/// </summary>
internal sealed class SiloDeathReconciler(
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    IGrainFactory grains,
    ILogger<SiloDeathReconciler> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource stopping = new();
    private Task? watching;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloDeathReconciler), ServiceLifecycleStage.Active, Start, Stop);

    private Task Start(CancellationToken cancellationToken)
    {
        watching = Task.Run(() => WatchAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        if (watching is not null)
        {
            await watching.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var previous = membership.CurrentSnapshot;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                var died = snapshot.CreateUpdate(previous).Changes
                    .Where(m => m.Status == SiloStatus.Dead && previous.GetSiloStatus(m.SiloAddress) != SiloStatus.Dead && !m.SiloAddress.Equals(local.SiloAddress))
                    .Select(m => m.SiloAddress)
                    .ToList();
                previous = snapshot;
                var first = snapshot.Members.Values
                    .Where(m => m.Status == SiloStatus.Active)
                    .Select(m => m.SiloAddress)
                    .OrderBy(a => a.ToString(), StringComparer.Ordinal)
                    .FirstOrDefault();
                if (died.Count > 0 && local.SiloAddress.Equals(first))
                {
                    await HealAsync(died, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Stopped watching cluster membership; aggregates heal on their periodic reconciliation only");
        }
    }

    private async Task HealAsync(List<SiloAddress> died, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            try
            {
                await grains.GetGrain<INationGrain>(INationGrain.NationKey).ReconcileAsync(deep: true).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                logger.LogInformation("Silo(s) {Dead} died; aggregates reconciled in {Elapsed} ms", string.Join(", ", died), started.ElapsedMilliseconds);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Reconciliation after the death of {Dead} failed (attempt {Attempt})", string.Join(", ", died), attempt);
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
        }
    }
}

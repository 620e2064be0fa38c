namespace Readiness.Hosting;

/// <summary>
/// Tells a web node's grain calls when one of its gateway connections to the silos closes. A silo killed with
/// <c>kill -9</c> closes its connections at once, but the Orleans client does not fail the calls it sent through that
/// gateway (a silo does so for its own calls when membership declares the dead silo; the client's
/// <c>BreakOutstandingMessagesToSilo</c> is never called): they would wait for <see cref="GrainCallOptions.AttemptTimeout"/>.
/// <see cref="GrainCalls"/> instead attempts a call that is safe to repeat again through the remaining gateways as soon as
/// <see cref="Lost"/> is cancelled. Registered as the client's <see cref="IClusterConnectionStatusObserver"/>; absent in
/// the embedded mode, which has no gateways.
/// </summary>
public sealed class GatewayConnectionWatch : IClusterConnectionStatusObserver
{
    private CancellationTokenSource current = new();
    private long losses;

    /// <summary>Cancelled when a gateway connection that was open when this token was read closes.</summary>
    public CancellationToken Lost => Volatile.Read(ref current).Token;

    /// <summary>Gateway connections closed since start.</summary>
    public long Losses => Interlocked.Read(ref losses);

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            OnLost();
        }
    }

    public void NotifyClusterConnectionLost() => OnLost();

    private void OnLost()
    {
        Interlocked.Increment(ref losses);
        // Not disposed: a call may still be linking to the old token; a source without a timer holds nothing.
        Interlocked.Exchange(ref current, new CancellationTokenSource()).Cancel();
    }
}

using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Networking.Shared;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>The "Readiness:GrainCalls" section (environment: Readiness__GrainCalls__AttemptTimeout=00:00:05, ...).</summary>
public sealed class GrainCallOptions
{
    public const string Section = "Readiness:GrainCalls";

    /// <summary>
    /// How long one attempt may take. A call in flight to a silo that dies is only given up after this, so it bounds how
    /// long a request stalls in a failover; a first nation read on a fresh cluster (every municipality activated) may
    /// need a second attempt.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an attempt may take when it follows the loss of a silo or of the connection to it (the silo unavailable,
    /// a connection failed, a message rejected): doubled for each further attempt that times out, up to
    /// <see cref="AttemptTimeout"/>. After a kill the dead silo's grains start again on a survivor, and one that fails
    /// while starting leaves the calls sent to it unanswered: on a loaded machine such calls waited out the whole 5 s
    /// (325 of them in one failover, docs/performance.md, thirty-seventh round). A retried write is safe to abandon: the
    /// next attempt with the same request id is answered Replayed if the abandoned one applied.
    /// </summary>
    public TimeSpan AttemptTimeoutAfterSiloLoss { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts for a call that is safe to repeat (1 = no retry).</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Wait before the second attempt; doubled for each further one up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The longest wait between attempts. In a failover the attempts to a dead silo's grains fail fast until membership
    /// declares it dead (within 0.5 s of a kill, 1–2 s for a silo that hangs: see <see cref="SiloExitDetector"/>); an
    /// uncapped doubling (0.25, 0.5, 1, 2 s) let the next attempt come ~4 s after the kill, a cap of 0.5 s within 0.5 s
    /// of the declaration.
    /// </summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>No attempt starts after this much time has passed since the first.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One message per value of zero or less (backoffs: negative); empty when none.</summary>
    public IEnumerable<string> Problems() =>
        OptionsProblems.LongerThanZero(Section, (nameof(AttemptTimeout), AttemptTimeout), (nameof(AttemptTimeoutAfterSiloLoss), AttemptTimeoutAfterSiloLoss), (nameof(Deadline), Deadline))
            .Concat(OptionsProblems.NotNegative(Section, (nameof(FirstBackoff), FirstBackoff), (nameof(MaxBackoff), MaxBackoff)))
            .Concat(OptionsProblems.AtLeast(Section, 1, (nameof(MaxAttempts), MaxAttempts)));
}

/// <summary>
/// How the web tier calls grains: every attempt has a timeout, and a call that is safe to repeat is retried after a
/// transient failure (a silo died, a message was rejected while the cluster re-balanced, storage blinked).
/// Reads are safe to repeat; so are writes of a <see cref="ChangeRequest"/>, because the municipality grain answers a
/// repeated RequestId with <see cref="ChangeStatus.Replayed"/> and applies nothing again. A write whose first attempt
/// timed out may well have been applied: the retry then reports Replayed, which is a success.
/// </summary>
public sealed class GrainCalls
{
    private readonly GrainCallOptions options;
    private readonly ILogger<GrainCalls> logger;
    private readonly Counter<long> retried;
    private readonly Counter<long> failed;
    private readonly GatewayConnectionWatch? gateways;

    public GrainCalls(IOptions<GrainCallOptions> options, ILogger<GrainCalls> logger, IMeterFactory meters, GatewayConnectionWatch? gateways = null)
    {
        this.options = options.Value;
        this.logger = logger;
        this.gateways = gateways;
        var meter = meters.Create(ReadinessMetrics.MeterName);
        retried = meter.CreateCounter<long>("readiness.grain_calls.retried", description: "Grain calls attempted again after a transient failure");
        failed = meter.CreateCounter<long>("readiness.grain_calls.failed", description: "Grain calls that failed after their last attempt");
    }

    public async Task<T> Run<T>(Func<Task<T>> call, bool idempotent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        var started = DateTime.UtcNow;
        var attempts = idempotent ? Math.Max(1, options.MaxAttempts) : 1;
        var backoff = options.FirstBackoff;
        var timeout = options.AttemptTimeout;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AttemptAsync(call, idempotent && attempt < attempts, timeout, cancellationToken);
            }
            catch (Exception ex) when (attempt < attempts && IsTransient(ex) && !IsLockTimeout(ex) && !cancellationToken.IsCancellationRequested
                                       && DateTime.UtcNow - started + backoff < options.Deadline)
            {
                retried.Add(1);
                logger.LogInformation("Grain call attempt {Attempt} failed ({Error}); retrying in {Backoff} ms", attempt, ex.GetType().Name, backoff.TotalMilliseconds);
                await Task.Delay(backoff, cancellationToken);
                backoff = NextBackoff(backoff, options);
                timeout = NextAttemptTimeout(timeout, ex, options);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failed.Add(1, new KeyValuePair<string, object?>("idempotent", idempotent));
                throw;
            }
        }
    }

    /// <summary>
    /// One attempt, no retry, of a read its caller asks again on its own schedule (the dashboard's poll): it ends after
    /// <paramref name="timeout"/>, or as a <see cref="SiloUnavailableException"/> as soon as a gateway connection closes
    /// while it is in flight (<see cref="GatewayConnectionWatch"/>), rather than waiting out the timeout for an answer
    /// from a killed silo: in a failover the live figures stalled for the whole 5 s (freshness p99 5.1–5.3 s).
    /// </summary>
    public async Task<T> RunOnce<T>(Func<Task<T>> call, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await AttemptAsync(call, abandonOnGatewayLoss: true, timeout, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            failed.Add(1, new KeyValuePair<string, object?>("idempotent", true));
            throw;
        }
    }

    /// <summary>
    /// One attempt. One that may be abandoned (it is safe to repeat) also ends when a gateway connection closes while it
    /// is in flight (see <see cref="GatewayConnectionWatch"/>), as a <see cref="SiloUnavailableException"/>, so that it is
    /// attempted again through the remaining gateways; calls through the gateways still open are repeated too, which is
    /// safe for them.
    /// </summary>
    private async Task<T> AttemptAsync<T>(Func<Task<T>> call, bool abandonOnGatewayLoss, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!abandonOnGatewayLoss || gateways is null)
        {
            return await call().WaitAsync(timeout, cancellationToken);
        }

        var lost = gateways.Lost;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lost);
        try
        {
            return await call().WaitAsync(timeout, either.Token);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new SiloUnavailableException("A gateway connection closed while this call was in flight; it is attempted again through the remaining gateways.");
        }
    }

    public Task Run(Func<Task> call, bool idempotent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Run(async () =>
        {
            await call();
            return true;
        }, idempotent, cancellationToken);
    }

    /// <summary>The wait after <paramref name="backoff"/>: doubled, at most <see cref="GrainCallOptions.MaxBackoff"/> (never below the first).</summary>
    public static TimeSpan NextBackoff(TimeSpan backoff, GrainCallOptions options) =>
        TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Math.Max(options.MaxBackoff.Ticks, options.FirstBackoff.Ticks)));

    /// <summary>
    /// The timeout of the attempt after one that failed with <paramref name="failure"/>: after the loss of a silo or its
    /// connection, <see cref="GrainCallOptions.AttemptTimeoutAfterSiloLoss"/>; after a timeout, twice the last one; else
    /// the last one. Never more than <see cref="GrainCallOptions.AttemptTimeout"/>.
    /// </summary>
    public static TimeSpan NextAttemptTimeout(TimeSpan last, Exception failure, GrainCallOptions options)
    {
        var next = IsSiloLoss(failure) ? options.AttemptTimeoutAfterSiloLoss
            : failure is TimeoutException ? TimeSpan.FromTicks(Math.Min(last.Ticks * 2, options.AttemptTimeout.Ticks))
            : last;
        return next < options.AttemptTimeout ? next : options.AttemptTimeout;
    }

    /// <summary>A failure that says a silo, or the connection to it, went away (as in a failover), not that the grain or storage failed.</summary>
    public static bool IsSiloLoss(Exception ex) => ex switch
    {
        SiloUnavailableException or ConnectionFailedException or SocketConnectionException or OrleansMessageRejectionException => true,
        OrleansException { InnerException: { } inner } => IsSiloLoss(inner),
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsSiloLoss(aggregate.InnerExceptions[0]),
        _ => false,
    };

    /// <summary>
    /// SQLite's lock held by another process past Readiness:StorageLockTimeout: answered 503 with Retry-After at once
    /// rather than tried again here, which would hold the request for the whole deadline (the caller resends).
    /// </summary>
    public static bool IsLockTimeout(Exception ex) =>
        ex is StorageUnavailableException { Message: var m } && m.Contains("database is locked", StringComparison.OrdinalIgnoreCase)
        || ex is OrleansException { InnerException: { } inner } && IsLockTimeout(inner);

    /// <summary>Failures after which the same call may well succeed; a grain's own validation errors are not among them.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        TimeoutException => true,
        StorageUnavailableException => true,
        SiloUnavailableException => true,
        OrleansMessageRejectionException => true,
        GatewayTooBusyException => true,
        ConnectionFailedException => true,
        SocketConnectionException => true,
        // A stale activation's write was refused (the grain is deactivated and re-reads its state on the next call).
        InconsistentStateException => true,
        DbException => true,
        OrleansException { InnerException: { } inner } => IsTransient(inner),
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsTransient(aggregate.InnerExceptions[0]),
        _ => false,
    };
}

public static class GrainCallsRegistration
{
    public static IServiceCollection AddGrainCalls(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GrainCallOptions>().Bind(configuration.GetSection(GrainCallOptions.Section)).ValidateProblemsOnStart(o => o.Problems());
        services.AddSingleton(sp => new GrainCalls(sp.GetRequiredService<IOptions<GrainCallOptions>>(), sp.GetRequiredService<ILogger<GrainCalls>>(),
            sp.GetRequiredService<IMeterFactory>(), sp.GetService<GatewayConnectionWatch>()));
        return services;
    }
}

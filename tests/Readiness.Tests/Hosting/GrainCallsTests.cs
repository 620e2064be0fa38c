using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;
using Readiness.Grains;
using Readiness.Hosting;

namespace Readiness.Tests.Hosting;

/// <summary>The web tier's grain-call policy, on its own (no cluster needed).</summary>
public sealed class GrainCallsTests : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public async Task A_call_safe_to_repeat_is_retried_after_a_transient_failure()
    {
        var calls = Create(maxAttempts: 4);
        var attempts = 0;
        var result = await calls.Run(() => ++attempts < 3 ? throw new SiloUnavailableException("gone") : Task.FromResult("ok"), idempotent: true);
        Assert.Equal("ok", result);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task A_call_not_safe_to_repeat_is_tried_once()
    {
        var calls = Create(maxAttempts: 4);
        var attempts = 0;
        await Assert.ThrowsAsync<SiloUnavailableException>(() => calls.Run<int>(() => { attempts++; throw new SiloUnavailableException("gone"); }, idempotent: false));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task A_grain_error_that_would_happen_again_is_not_retried()
    {
        var calls = Create(maxAttempts: 4);
        var attempts = 0;
        await Assert.ThrowsAsync<ArgumentException>(() => calls.Run<int>(() => { attempts++; throw new ArgumentException("not a municipality"); }, idempotent: true));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task An_attempt_that_hangs_times_out_and_the_next_one_answers()
    {
        var calls = Create(maxAttempts: 3, attemptTimeout: TimeSpan.FromMilliseconds(200));
        var attempts = 0;
        var result = await calls.Run(async () =>
        {
            if (++attempts == 1)
            {
                await Task.Delay(Timeout.Infinite);
            }

            return attempts;
        }, idempotent: true);
        Assert.Equal(2, result);
    }

    [Fact]
    public async Task Retries_stop_at_the_last_attempt_and_the_failure_is_the_callers()
    {
        var calls = Create(maxAttempts: 3);
        var attempts = 0;
        await Assert.ThrowsAsync<TimeoutException>(() => calls.Run<int>(() => { attempts++; throw new TimeoutException(); }, idempotent: true));
        Assert.Equal(3, attempts);
    }

    [Theory]
    [InlineData(typeof(TimeoutException), true)]
    [InlineData(typeof(SiloUnavailableException), true)]
    [InlineData(typeof(InconsistentStateException), true)]
    [InlineData(typeof(InvalidOperationException), false)]
    [InlineData(typeof(ArgumentException), false)]
    public void Transient_failures_are_told_apart(Type type, bool transient)
    {
        var ex = (Exception)Activator.CreateInstance(type, "x")!;
        Assert.Equal(transient, GrainCalls.IsTransient(ex));
        Assert.Equal(transient, GrainCalls.IsTransient(new OrleansException("wrapped", ex)));
    }

    [Fact]
    public void The_daily_snapshot_is_due_at_the_configured_time_in_Japan()
    {
        var snapshot = new TimeOnly(23, 50);
        // 2026-11-25 14:00 UTC is 23:00 JST: 50 minutes to go.
        Assert.Equal(TimeSpan.FromMinutes(50), NationGrain.UntilNextSnapshot(new DateTimeOffset(2026, 11, 25, 14, 0, 0, TimeSpan.Zero), snapshot));
        // 15:00 UTC is 00:00 JST the next day: 23 h 50 min to go.
        Assert.Equal(new TimeSpan(23, 50, 0), NationGrain.UntilNextSnapshot(new DateTimeOffset(2026, 11, 25, 15, 0, 0, TimeSpan.Zero), snapshot));
        // Exactly at the time: the next one is a day later, never "now" twice.
        Assert.Equal(TimeSpan.FromDays(1), NationGrain.UntilNextSnapshot(new DateTimeOffset(2026, 11, 25, 14, 50, 0, TimeSpan.Zero), snapshot));
    }

    public void Dispose() => services.Dispose();

    [Fact]
    public async Task A_call_in_flight_when_a_gateway_connection_closes_is_attempted_again_at_once_not_after_the_attempt_timeout()
    {
        var gateways = new GatewayConnectionWatch();
        var calls = Create(maxAttempts: 3, attemptTimeout: TimeSpan.FromHours(1), gateways);
        var firstSent = new TaskCompletionSource();
        var attempts = 0;
        var call = calls.Run(async () =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                firstSent.SetResult();
                await Task.Delay(Timeout.Infinite); // sent through the gateway that dies: never answered
            }

            return "answered through the other gateway";
        }, idempotent: true);
        await firstSent.Task;
        gateways.NotifyGatewayCountChanged(1, 2, connectionRecovered: false); // as the Orleans client reports a closed connection

        Assert.Equal("answered through the other gateway", await call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, attempts);
        Assert.Equal(1, gateways.Losses);
    }

    [Fact]
    public async Task A_call_not_safe_to_repeat_keeps_waiting_when_a_gateway_connection_closes_and_a_gateway_that_opens_breaks_nothing()
    {
        var gateways = new GatewayConnectionWatch();
        var calls = Create(maxAttempts: 3, attemptTimeout: TimeSpan.FromHours(1), gateways);
        var answer = new TaskCompletionSource<string>();
        var attempts = 0;
        var once = calls.Run(() => { attempts++; return answer.Task; }, idempotent: false);
        var repeatable = calls.Run(() => { attempts++; return answer.Task; }, idempotent: true);
        gateways.NotifyGatewayCountChanged(2, 1, connectionRecovered: true); // a gateway joined: nothing to repeat
        gateways.NotifyGatewayCountChanged(1, 2, connectionRecovered: false);
        await Task.Delay(100);
        Assert.False(once.IsCompleted);
        answer.SetResult("late answer");
        Assert.Equal("late answer", await once.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("late answer", await repeatable.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(3, attempts); // the repeatable call once more after the loss, the other never
    }

    [Fact]
    public async Task A_single_attempt_read_in_flight_when_a_gateway_connection_closes_ends_at_once_and_is_not_repeated()
    {
        var gateways = new GatewayConnectionWatch();
        var calls = Create(maxAttempts: 3, attemptTimeout: TimeSpan.FromHours(1), gateways);
        var sent = new TaskCompletionSource();
        var attempts = 0;
        var poll = calls.RunOnce(async () =>
        {
            Interlocked.Increment(ref attempts);
            sent.SetResult();
            await Task.Delay(Timeout.Infinite); // sent through the gateway that dies: never answered
            return "never";
        }, timeout: TimeSpan.FromHours(1));
        await sent.Task;
        Assert.False(poll.IsCompleted);
        gateways.NotifyGatewayCountChanged(1, 2, connectionRecovered: false);

        await Assert.ThrowsAsync<SiloUnavailableException>(() => poll.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, attempts); // the caller (the dashboard's next poll) asks again, not this call

        // Without a loss it answers, and its own timeout still bounds it.
        Assert.Equal("answer", await calls.RunOnce(() => Task.FromResult("answer"), TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<TimeoutException>(() => calls.RunOnce(() => new TaskCompletionSource<string>().Task, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void The_wait_between_attempts_doubles_up_to_the_cap_so_a_failover_is_retried_soon_after_the_silo_is_declared_dead()
    {
        var options = new GrainCallOptions();
        var waits = new List<TimeSpan> { options.FirstBackoff };
        for (var i = 0; i < 6; i++)
        {
            waits.Add(GrainCalls.NextBackoff(waits[^1], options));
        }

        Assert.Equal(new[] { 250, 500, 500, 500, 500, 500, 500 }, waits.Select(w => (int)w.TotalMilliseconds));
        // Ten attempts keep trying for ~4.25 s of waits: past the 1–2 s it takes to declare a killed silo dead.
        Assert.Equal(10, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(400), GrainCalls.NextBackoff(TimeSpan.FromMilliseconds(400), new GrainCallOptions { FirstBackoff = TimeSpan.FromMilliseconds(400), MaxBackoff = TimeSpan.FromMilliseconds(100) }));
    }

    [Fact]
    public async Task An_attempt_after_a_silo_was_lost_that_gets_no_answer_is_given_up_after_the_short_timeout_not_the_attempt_timeout()
    {
        // The failover's pattern: the first attempt fails (its silo died), the second reaches an activation that failed
        // while starting and never answers, the third finds the grain running.
        var calls = Create(maxAttempts: 4, attemptTimeout: TimeSpan.FromHours(1), afterSiloLoss: TimeSpan.FromMilliseconds(100));
        var attempts = 0;
        var call = calls.Run(async () =>
        {
            switch (Interlocked.Increment(ref attempts))
            {
                case 1:
                    throw new SiloUnavailableException("the silo died");
                case 2:
                    await Task.Delay(Timeout.Infinite);
                    return "never";
                default:
                    return "answered";
            }
        }, idempotent: true);

        Assert.Equal("answered", await call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(3, attempts);
    }

    [Fact]
    public void The_timeout_after_a_silo_loss_doubles_while_attempts_time_out_and_never_passes_the_attempt_timeout()
    {
        var options = new GrainCallOptions();
        Assert.Equal(TimeSpan.FromSeconds(5), options.AttemptTimeout);
        var lost = new SiloUnavailableException("gone");
        var timeouts = new List<TimeSpan> { GrainCalls.NextAttemptTimeout(options.AttemptTimeout, lost, options) };
        for (var i = 0; i < 4; i++)
        {
            timeouts.Add(GrainCalls.NextAttemptTimeout(timeouts[^1], new TimeoutException(), options));
        }

        Assert.Equal(new[] { 1, 2, 4, 5, 5 }, timeouts.Select(t => (int)t.TotalSeconds));
        // A first attempt that timed out in full keeps the full timeout; a grain's or storage's failure changes nothing.
        Assert.Equal(options.AttemptTimeout, GrainCalls.NextAttemptTimeout(options.AttemptTimeout, new TimeoutException(), options));
        Assert.Equal(options.AttemptTimeout, GrainCalls.NextAttemptTimeout(options.AttemptTimeout, new InconsistentStateException("stale"), options));
        Assert.Equal(TimeSpan.FromSeconds(1), GrainCalls.NextAttemptTimeout(options.AttemptTimeout, new OrleansException("wrapped", new SiloUnavailableException("gone")), options));
        // A short timeout configured above the attempt timeout is bounded by it.
        Assert.Equal(TimeSpan.FromSeconds(2), GrainCalls.NextAttemptTimeout(TimeSpan.FromSeconds(2), lost, new GrainCallOptions { AttemptTimeout = TimeSpan.FromSeconds(2), AttemptTimeoutAfterSiloLoss = TimeSpan.FromSeconds(3) }));
    }

    private GrainCalls Create(int maxAttempts, TimeSpan? attemptTimeout = null, GatewayConnectionWatch? gateways = null, TimeSpan? afterSiloLoss = null) => new(
        Options.Create(new GrainCallOptions
        {
            MaxAttempts = maxAttempts,
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
            AttemptTimeoutAfterSiloLoss = afterSiloLoss ?? TimeSpan.FromSeconds(1),
            FirstBackoff = TimeSpan.FromMilliseconds(10),
            Deadline = TimeSpan.FromSeconds(10),
        }),
        NullLogger<GrainCalls>.Instance,
        services.GetRequiredService<IMeterFactory>(),
        gateways);
}

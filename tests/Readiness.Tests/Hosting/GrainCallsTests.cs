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

    private GrainCalls Create(int maxAttempts, TimeSpan? attemptTimeout = null) => new(
        Options.Create(new GrainCallOptions
        {
            MaxAttempts = maxAttempts,
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5),
            FirstBackoff = TimeSpan.FromMilliseconds(10),
            Deadline = TimeSpan.FromSeconds(10),
        }),
        NullLogger<GrainCalls>.Instance,
        services.GetRequiredService<IMeterFactory>());
}

using Readiness.Grains;

namespace Readiness.Tests.Grains;

/// <summary>Reconciliation's pulls: every child once, failures tried again, and at most the bound in flight at once.</summary>
public sealed class ChildPullsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task No_more_pulls_than_the_bound_are_in_flight_and_every_child_is_pulled_once(int bound)
    {
        var keys = Enumerable.Range(0, 47).ToList();
        var inFlight = 0;
        var most = 0;
        var calls = new int[keys.Count];
        var (pulled, failed) = await ChildPulls.PullAsync(keys, async key =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            Interlocked.Increment(ref calls[key]);
            await Task.Delay(2);
            Interlocked.Decrement(ref inFlight);
            return key * 10;
        }, bound);

        Assert.Empty(failed);
        Assert.Equal(keys.Select(k => k * 10).Order(), pulled.Order());
        Assert.All(calls, c => Assert.Equal(1, c));
        Assert.Equal(bound, most); // the bound is used, and never exceeded
    }

    [Fact]
    public async Task Unbounded_every_pull_starts_at_once()
    {
        var keys = Enumerable.Range(0, 47).ToList();
        var started = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (pulled, _) = await ChildPulls.PullAsync(keys, async key =>
        {
            if (Interlocked.Increment(ref started) == keys.Count)
            {
                all.SetResult();
            }

            // Every pull waits until all have started: bounded, this would never end.
            await all.Task.WaitAsync(TimeSpan.FromSeconds(10));
            return key;
        });
        Assert.Equal(keys.Count, pulled.Count);
    }

    [Fact]
    public async Task A_failing_child_is_tried_again_and_named_when_it_keeps_failing_while_the_others_are_kept()
    {
        var attemptsOf3 = 0;
        var attemptsOf5 = 0;
        var (pulled, failed) = await ChildPulls.PullAsync(Enumerable.Range(0, 8).ToList(), key =>
        {
            if (key == 3 && Interlocked.Increment(ref attemptsOf3) < 2)
            {
                throw new TimeoutException("not yet");
            }

            if (key == 5)
            {
                Interlocked.Increment(ref attemptsOf5);
                throw new InvalidOperationException("never");
            }

            return Task.FromResult(key);
        }, maxConcurrency: 2, attempts: 3);

        Assert.Equal([0, 1, 2, 3, 4, 6, 7], pulled.Order());
        Assert.Equal([5], failed);
        Assert.Equal((2, 3), (attemptsOf3, attemptsOf5));
    }

    [Fact]
    public async Task A_bound_under_one_is_refused() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ChildPulls.PullAsync([1], Task.FromResult, maxConcurrency: 0));

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }
}

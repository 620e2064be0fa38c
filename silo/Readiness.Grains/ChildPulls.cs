namespace Readiness.Grains;

/// <summary>
/// Pulls summaries from an aggregate's children for reconciliation. One child that cannot answer (storage briefly
/// unavailable while a dead silo's grains re-activate) must not fail the aggregate's activation or lose the other
/// children's answers: failed pulls are tried again a few times, and whatever still fails is left to the next
/// reconciliation (pushes keep arriving meanwhile).
/// </summary>
internal static class ChildPulls
{
    /// <returns>The children's answers, and the keys of those that still failed after every attempt.</returns>
    public static async Task<(List<T> Pulled, IReadOnlyList<TKey> Failed)> PullAsync<TKey, T>(IReadOnlyList<TKey> keys, Func<TKey, Task<T>> pull, int attempts = 3)
    {
        var pulled = new List<T>(keys.Count);
        var pending = keys;
        for (var attempt = 1; attempt <= attempts && pending.Count > 0; attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 * (attempt - 1)));
            }

            var results = await Task.WhenAll(pending.Select(async key =>
            {
                try
                {
                    return (Key: key, Ok: true, Value: await pull(key));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return (Key: key, Ok: false, Value: default(T)!);
                }
            }));
            pulled.AddRange(results.Where(r => r.Ok).Select(r => r.Value));
            pending = results.Where(r => !r.Ok).Select(r => r.Key).ToList();
        }

        return (pulled, pending);
    }
}

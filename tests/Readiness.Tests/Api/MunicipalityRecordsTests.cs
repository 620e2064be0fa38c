using Readiness.Catalog;
using Readiness.Web.Api;

namespace Readiness.Tests.Api;

/// <summary>
/// How <see cref="MunicipalityRecords.ReadEachAsync{T}"/> combines many reads: an unreadable stored state sets one
/// municipality aside (named), every other value is kept in the order asked; any other failure and cancellation fail the read.
/// </summary>
public sealed class MunicipalityRecordsTests
{
    private static readonly IReadOnlyList<MunicipalityInfo> Tokyo = ReadinessCatalog.Instance.MunicipalitiesByPrefecture["13"];

    private static UnreadableStateException Unreadable(string code) => new($"municipality/{code}/municipality", "checksum");

    [Fact]
    public async Task An_unreadable_municipality_is_set_aside_and_the_others_are_kept_in_the_order_asked()
    {
        var bad = new HashSet<string>(StringComparer.Ordinal) { Tokyo[0].Code, Tokyo[17].Code };
        var read = await MunicipalityRecords.ReadEachAsync(Tokyo, async (m, _) =>
        {
            await Task.Yield();
            return bad.Contains(m.Code) ? throw Unreadable(m.Code) : m.Code + "!";
        }, concurrency: 8, CancellationToken.None);

        Assert.Equal([.. Tokyo.Where(m => !bad.Contains(m.Code)).Select(m => m.Code)], read.Readable.Select(x => x.Municipality.Code));
        Assert.All(read.Readable, x => Assert.Equal(x.Municipality.Code + "!", x.Value));
        Assert.Equal([Tokyo[0].Code, Tokyo[17].Code], read.UnreadableCodes);
    }

    [Fact]
    public async Task An_unreadable_state_inside_wrappers_is_found()
    {
        var read = await MunicipalityRecords.ReadEachAsync(Tokyo.Take(3).ToList(), (m, _) => m == Tokyo[1]
            ? Task.FromException<int>(new AggregateException(new InvalidOperationException("wrapped", Unreadable(m.Code))))
            : Task.FromResult(1), concurrency: 2, CancellationToken.None);

        Assert.Equal(2, read.Readable.Count);
        Assert.Equal([Tokyo[1].Code], read.UnreadableCodes);
    }

    [Fact]
    public async Task Any_other_failure_fails_the_whole_read()
    {
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => MunicipalityRecords.ReadEachAsync(Tokyo, (m, _) => m == Tokyo[5]
            ? Task.FromException<int>(new TimeoutException())
            : Task.FromResult(1), concurrency: 4, CancellationToken.None));
        Assert.NotNull(ex);
    }

    [Fact]
    public async Task Cancellation_is_not_taken_for_an_unreadable_municipality()
    {
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MunicipalityRecords.ReadEachAsync(Tokyo, async (m, ct) =>
        {
            if (m == Tokyo[2])
            {
                await cancel.CancelAsync();
            }

            await Task.Delay(50, ct);
            return 1;
        }, concurrency: 4, cancel.Token));
    }

    [Fact]
    public async Task No_more_than_the_concurrency_are_read_at_once()
    {
        var inFlight = 0;
        var most = 0;
        var read = await MunicipalityRecords.ReadEachAsync(Tokyo, async (m, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await Task.Delay(10, ct);
            Interlocked.Decrement(ref inFlight);
            return 1;
        }, concurrency: 2, CancellationToken.None);

        Assert.Equal(Tokyo.Count, read.Readable.Count);
        Assert.Equal(2, most);
    }

    [Fact]
    public void The_view_of_those_left_out_counts_names_and_says_so_in_both_languages()
    {
        Assert.Equal(0, UnreadableMunicipalitiesView.None.Count);
        Assert.Same(UnreadableMunicipalitiesView.None, UnreadableMunicipalitiesView.Of([]));
        var chiyoda = ReadinessCatalog.Instance.MunicipalitiesByCode["131016"];
        var view = UnreadableMunicipalitiesView.Of([chiyoda]);
        Assert.Equal(1, view.Count);
        Assert.Equal(new UnreadableMunicipalityView("131016", "13", "東京都", "千代田区"), view.Municipalities[0]);
        Assert.Contains("131016 千代田区", view.MessageJa, StringComparison.Ordinal);
        Assert.Contains("1 municipality whose stored data cannot be read is left out", view.MessageEn, StringComparison.Ordinal);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

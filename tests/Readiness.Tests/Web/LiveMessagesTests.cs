using Readiness.Web.Api;
using Readiness.Web.Summaries;
using Xunit;

namespace Readiness.Tests.Web;

/// <summary>
/// A live message's prefecture tiles (<see cref="LiveMessages.TileValues"/>): the headline's own four figures, made
/// without the whole headline (one per prefecture per message: issue 14's allocation per change).
/// </summary>
public sealed class LiveMessagesTests
{
    public static TheoryData<Figures> Cases() =>
    [
        Figures.Zero,
        Figures.Zero with { Municipalities = 35, StaleMunicipalities = 4, ApplicableSystems = 600, DesignatedSystems = 45, MigratedSystems = 120, ProgressUnits = 3_000 },
        Figures.Zero with
        {
            Municipalities = 1, ApplicableSystems = 20, DesignatedSystems = 20, SecurityApplicableItems = 47, SecurityScoreHalves = 40,
            SecurityStatusCounts = [3, 10, 20, 4, 10],
        },
        Figures.Zero with { Municipalities = 2, SecurityApplicableItems = 10, SecurityStatusCounts = [10, 0, 0, 0, 0] },
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_tiles_are_the_headlines_figures(Figures figures)
    {
        var view = Views.Figures(figures);
        var headline = LiveMessages.Headline(view);

        var tiles = LiveMessages.TileValues(view);

        Assert.Equal(["progress", "designated", "security", "stale"], tiles.Keys);
        Assert.Equal(headline["progress"], tiles["progress"]);
        Assert.Equal(headline["designatedShare"], tiles["designated"]);
        Assert.Equal(headline["securityScore"], tiles["security"]);
        Assert.Equal(headline["staleShare"], tiles["stale"]);
    }

    [Fact]
    public void The_tiles_and_the_headline_make_no_more_than_their_own_table()
    {
        var view = Views.Figures(Figures.Zero with { Municipalities = 35, ApplicableSystems = 600, DesignatedSystems = 45 });
        LiveMessages.TileValues(view); // warm: the JIT's own allocations
        LiveMessages.Headline(view);

        var before = GC.GetAllocatedBytesForCurrentThread();
        LiveMessages.TileValues(view);
        var tiles = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        LiveMessages.Headline(view);
        var headline = GC.GetAllocatedBytesForCurrentThread() - before;

        // Four entries, a dictionary sized for them (~0.3 KB), not a headline of 31 as well; the headline's reason keys are
        // made once, not per call (the 31 entries' table and its growth, ~3 KB, no strings).
        Assert.True(tiles < 400, $"the tiles made {tiles} bytes");
        Assert.True(headline < 3_500, $"the headline made {headline} bytes");
    }
}

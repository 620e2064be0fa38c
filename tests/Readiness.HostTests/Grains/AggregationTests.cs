using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Rules;
using Xunit.Abstractions;

namespace Readiness.HostTests.Grains;

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}

[Collection(GrainClusterCollection.Name)]
public sealed class AggregationTests(GrainClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] Prefectures = ["01", "13", "27", "40", "47"];
    private static readonly Actor Tester = new("aggregation-test", Role.Admin, null);

    [Fact]
    public async Task Summaries_equal_a_from_scratch_recomputation_after_5000_random_changes()
    {
        var catalog = ReadinessCatalog.Instance;
        var codes = Prefectures.SelectMany(p => catalog.MunicipalitiesByPrefecture[p]).Select(m => m.Code).ToArray();
        Assert.True(codes.Length >= 300, $"only {codes.Length} municipalities");
        var nation = fixture.Grains.GetGrain<INationGrain>(INationGrain.NationKey);
        await nation.GetAsync(); // activates every prefecture and municipality

        var random = new Random(20260331);
        var requests = Enumerable.Range(0, 5600).Select(i => RandomChange(random, codes[random.Next(codes.Length)], i)).ToArray();
        var accepted = 0;
        var invalid = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        // Changes to one municipality are applied in order; municipalities run concurrently.
        await Parallel.ForEachAsync(requests.GroupBy(r => r.Code), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (group, _) =>
        {
            var grain = fixture.Grains.GetGrain<IMunicipalityGrain>(group.Key);
            foreach (var (_, request) in group)
            {
                var outcome = await grain.ApplyAsync(request);
                if (outcome.Status == ChangeStatus.Accepted)
                {
                    Interlocked.Increment(ref accepted);
                }
                else
                {
                    Assert.Equal(ChangeStatus.Invalid, outcome.Status);
                    Interlocked.Increment(ref invalid);
                }
            }
        });
        output.WriteLine($"{accepted} accepted, {invalid} refused by validation, in {started.ElapsedMilliseconds} ms over {codes.Length} municipalities");
        Assert.True(accepted >= 5000, $"only {accepted} changes accepted");

        var today = ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);
        var records = await Task.WhenAll(catalog.Municipalities.Select(m => fixture.Grains.GetGrain<IMunicipalityGrain>(m.Code).GetAsync()));
        var expectedVersions = records.Sum(r => r.Version);
        Assert.True(expectedVersions >= accepted);

        // Pushes are one-way and debounced: wait until the nation has seen every accepted change.
        var settled = System.Diagnostics.Stopwatch.StartNew();
        NationSummary actual;
        do
        {
            await Task.Delay(50);
            actual = await nation.GetAsync();
        }
        while (actual.VersionSum != expectedVersions && settled.Elapsed < TimeSpan.FromSeconds(30));
        output.WriteLine($"nation settled {settled.ElapsedMilliseconds} ms after the last acknowledgement");

        var recomputed = records.Select(r => ReadinessRules.Summary(r, today)).ToList();
        var byPrefecture = recomputed.GroupBy(s => s.PrefectureCode).ToDictionary(g => g.Key, g => Aggregation.Prefecture(g.Key, g, today, DateTimeOffset.UtcNow));
        var expectedNation = Aggregation.Nation(byPrefecture.Values, DateTimeOffset.UtcNow);

        Assert.Equal(expectedNation.VersionSum, actual.VersionSum);
        Assert.True(expectedNation.Figures.SameAs(actual.Figures), "nation figures differ from the recomputation");
        Assert.Equal(1741, actual.Figures.Municipalities);
        foreach (var p in catalog.Prefectures)
        {
            var detail = await fixture.Grains.GetGrain<IPrefectureGrain>(p.Code).GetAsync();
            Assert.True(byPrefecture[p.Code].Figures.SameAs(detail.Summary.Figures), $"prefecture {p.Code} differs");
            Assert.Equal(byPrefecture[p.Code].VersionSum, detail.Summary.VersionSum);
            Assert.True(byPrefecture[p.Code].Figures.SameAs(actual.Prefectures.Single(x => x.PrefectureCode == p.Code).Figures));
        }

        output.WriteLine($"nation: {actual.Figures.MigratedSystems} migrated of {actual.Figures.ApplicableSystems}, {actual.Figures.DesignatedSystems} designated, {actual.Figures.RegressionSystems} regressions: equal to recomputation figure for figure");
    }

    [Fact]
    public async Task Duplicated_and_reordered_pushes_leave_the_newest_summary()
    {
        const string code = "472018"; // 那覇市
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>(code);
        var prefecture = fixture.Grains.GetGrain<IPrefectureGrain>("47");
        await prefecture.GetAsync();
        var summaries = new List<MunicipalitySummary>();
        var phases = new[] { MigrationPhase.Contract, MigrationPhase.BuildAndDataMigration, MigrationPhase.Testing, MigrationPhase.InProduction };
        foreach (var (phase, i) in phases.Select((p, i) => (p, i)))
        {
            var current = await grain.GetAsync();
            var outcome = await grain.ApplyAsync(new ChangeRequest
            {
                RequestId = $"reorder-{Guid.NewGuid():N}",
                Actor = Tester,
                Systems = [new SystemChange { BusinessId = "koseki", Phase = phase, Reason = "test" }],
            });
            Assert.Equal(ChangeStatus.Accepted, outcome.Status);
            summaries.Add(await grain.GetSummaryAsync());
        }

        var newest = summaries[^1];
        // Old, repeated and shuffled pushes after the newest one.
        foreach (var s in new[] { summaries[0], newest, summaries[2], summaries[1], newest, summaries[0] })
        {
            await prefecture.ReportAsync(s);
        }

        await Task.Delay(300);
        var detail = await prefecture.GetAsync();
        var kept = detail.Municipalities.Single(m => m.Code == code);
        Assert.Equal(newest.Version, kept.Version);
        Assert.True(newest.Figures.SameAs(kept.Figures));

        var today = ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);
        var records = await Task.WhenAll(ReadinessCatalog.Instance.MunicipalitiesByPrefecture["47"].Select(m => fixture.Grains.GetGrain<IMunicipalityGrain>(m.Code).GetAsync()));
        var expected = Aggregation.Prefecture("47", records.Select(r => ReadinessRules.Summary(r, today)), today, DateTimeOffset.UtcNow);
        Assert.True(expected.Figures.SameAs(detail.Summary.Figures));
        Assert.Equal(expected.VersionSum, detail.Summary.VersionSum);

        // A summary for another prefecture's municipality is ignored.
        var foreign = await fixture.Grains.GetGrain<IMunicipalityGrain>("131016").GetSummaryAsync();
        await prefecture.ReportAsync(foreign);
        Assert.DoesNotContain((await prefecture.GetAsync()).Municipalities, m => m.Code == "131016");
    }

    private static (string Code, ChangeRequest Request) RandomChange(Random random, string code, int i)
    {
        var catalog = ReadinessCatalog.Instance;
        var request = new ChangeRequest { RequestId = $"agg-{i}", Actor = Tester };
        if (random.NextDouble() < 0.3)
        {
            var item = catalog.SecurityItems[random.Next(catalog.SecurityItems.Count)];
            return (code, request with
            {
                Security = [new SecurityChange { ItemId = item.Id, Status = (SecurityStatus)random.Next(5), LastReviewed = new DateOnly(2026, 1, 1).AddDays(random.Next(300)) }],
            });
        }

        var business = catalog.BusinessSystems[random.Next(catalog.BusinessSystems.Count)];
        var phase = (MigrationPhase)random.Next(11);
        var kind = random.NextDouble();
        var change = new SystemChange
        {
            BusinessId = business.Id,
            Phase = phase,
            Reason = random.NextDouble() < 0.9 ? "再計画" : null, // some backward moves without a reason are refused
            PlannedGoLive = random.NextDouble() < 0.5 ? new DateOnly(2025, 6, 1).AddDays(random.Next(900)) : null,
            NotApplicable = kind < 0.05,
            Designation = kind is > 0.05 and < 0.3
                ? new DesignationInput((DesignationReason)random.Next(5), new DateOnly(2026, 6, 1).AddDays(random.Next(2200)))
                : null,
        };
        return (code, request with { Systems = [change] });
    }
}

using System.Text.Json;
using Readiness.Catalog;
using Readiness.Web.Api;
using Xunit;

namespace Readiness.Tests.Api;

/// <summary>
/// The counts in a figures view (<see cref="SlotCountDictionary"/>): every name with the count of its slot, in the names' order,
/// as a JSON object; read as a dictionary (an unknown name is absent, never 0).
/// </summary>
public sealed class FiguresViewTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static Figures Distinct() => Figures.Zero with
    {
        DesignatedByReason = [.. Enumerable.Range(1, Figures.ReasonSlots)],
        PhaseCounts = [.. Enumerable.Range(100, Figures.PhaseCount)],
        SecurityStatusCounts = [.. Enumerable.Range(200, Figures.SecurityStatusCount)],
        BusinessPhaseCounts = [.. Enumerable.Range(1_000, 20 * Figures.BusinessSlots)],
    };

    [Fact]
    public void Each_name_has_the_count_of_its_slot_in_order_and_the_json_is_an_object()
    {
        var view = Views.Figures(Distinct());

        var reasons = Enum.GetValues<DesignationReason>().Select(Wire.Name).Append("unreported").ToArray();
        Assert.Equal(reasons, view.DesignatedByReason.Keys);
        Assert.Equal(Enumerable.Range(1, Figures.ReasonSlots), reasons.Select(r => view.DesignatedByReason[r]));

        var phases = Enum.GetValues<MigrationPhase>();
        Assert.Equal(phases.Select(p => 100 + (int)p), phases.Select(p => view.Phases[Wire.Name(p)]));
        var statuses = Enum.GetValues<SecurityStatus>();
        Assert.Equal(statuses.Select(s => 200 + (int)s), statuses.Select(s => view.SecurityStatuses[Wire.Name(s)]));

        // The third business's phases come from its own slots.
        var third = view.Businesses[2];
        Assert.Equal(phases.Select(p => 1_000 + (2 * Figures.BusinessSlots) + (int)p), phases.Select(p => third.Phases[Wire.Name(p)]));

        // Written as the object a dictionary would be written as.
        var expected = JsonSerializer.Serialize(reasons.Select((r, i) => (r, i + 1)).ToDictionary(x => x.r, x => x.Item2), Web);
        Assert.Equal(expected, JsonSerializer.Serialize(view.DesignatedByReason, Web));
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(view, Web));
        var asWritten = JsonSerializer.Deserialize<Dictionary<string, int>>(document.RootElement.GetProperty("phases").GetRawText(), Web)!;
        Assert.Equal(phases.Select(p => 100 + (int)p), phases.Select(p => asWritten[Wire.Name(p)]));
    }

    [Fact]
    public void An_unknown_name_is_absent()
    {
        var counts = Views.Figures(Distinct()).Phases;
        Assert.False(counts.ContainsKey("finished"));
        Assert.False(counts.TryGetValue("finished", out _));
        Assert.Throws<KeyNotFoundException>(() => counts["finished"]);
        Assert.Equal(Figures.PhaseCount, counts.Count);
        Assert.True(counts.ContainsKey(Wire.Name(MigrationPhase.InProduction)));
    }

    [Fact]
    public void The_businesses_rendered_on_first_read_are_written_as_the_20_in_catalog_order()
    {
        // Rendered on first read (issue 14): what is written and read is what an eager rendering gave.
        var view = Views.Figures(Distinct());
        var catalog = ReadinessCatalog.Instance;

        using var document = JsonDocument.Parse(JsonSerializer.Serialize(view, Web));
        var written = document.RootElement.GetProperty("businesses");
        Assert.Equal(JsonValueKind.Array, written.ValueKind);
        Assert.Equal(catalog.BusinessSystems.Select(b => b.Id), written.EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        var inProduction = Wire.Name(MigrationPhase.InProduction);
        Assert.Equal(
            Enumerable.Range(0, catalog.BusinessSystems.Count).Select(i => 1_000 + (i * Figures.BusinessSlots) + (int)MigrationPhase.InProduction),
            written.EnumerateArray().Select(b => b.GetProperty("phases").GetProperty(inProduction).GetInt32()));
        Assert.Equal(catalog.BusinessSystems.Count, view.Businesses.Count);
        Assert.Same(view.Businesses[0], view.Businesses.Single(b => b.Id == catalog.BusinessSystems[0].Id)); // rendered once, then kept
        Assert.Equal(1_000 + Figures.PhaseCount, view.Businesses[0].NotApplicable);
    }
}

using System.Collections.Immutable;

namespace Readiness.Planning;

/// <summary>One applicable system as the lock-in view counts it: its municipality, application vendor and Government Cloud provider (null: not reported).</summary>
public sealed record MarketSystem(string MunicipalityCode, string? Vendor, CloudProvider? CloudProvider)
{
    /// <summary>The prefecture code (first two digits of the municipality code).</summary>
    public string PrefectureCode => MunicipalityCode[..2];
}

/// <summary>One supplier's share: its systems and their share of the systems with a known supplier, in percent (0..100).</summary>
public sealed record MarketShare(string Name, int Systems, double SharePercent);

/// <summary>
/// How concentrated one market (vendors or providers) is in one area. <see cref="Systems"/>: applicable systems;
/// <see cref="Known"/>: those with a supplier reported (shares and HHI are over these); <see cref="Suppliers"/>: distinct
/// suppliers; <see cref="Shares"/>: the largest first (ties by name, ordinal), at most the limit asked for;
/// <see cref="OtherSystems"/>: the known systems of the suppliers left out of <see cref="Shares"/>.
/// <see cref="Hhi"/>: the Herfindahl–Hirschman index, Σ (share in %)², 0..10,000 over every supplier (also those left
/// out of the list); null when no system has a supplier.
/// </summary>
public sealed record MarketConcentrationFigures(
    int Systems,
    int Known,
    int Suppliers,
    ImmutableArray<MarketShare> Shares,
    int OtherSystems,
    double? Hhi)
{
    /// <summary>
    /// Above 1,800: a highly concentrated market (U.S. DOJ/FTC Merger Guidelines 2023, §2.1), the threshold the lock-in
    /// view flags. False when the HHI is unknown.
    /// </summary>
    public bool HighlyConcentrated => Hhi > MarketConcentration.HighlyConcentratedAbove;
}

/// <summary>Both markets of one area: the nation (code "00") or a prefecture ("01".."47").</summary>
public sealed record AreaConcentration(string Code, MarketConcentrationFigures Vendors, MarketConcentrationFigures Providers);

/// <summary>The nation and every prefecture that has applicable systems (by code).</summary>
public sealed record ConcentrationResult(AreaConcentration Nation, ImmutableArray<AreaConcentration> Prefectures);

/// <summary>
/// Systems by application vendor and by Government Cloud provider, with the Herfindahl–Hirschman index, nationally and
/// per prefecture. Pure. Vendors are grouped by the identifier form of their name (<see cref="Rules.FreeText.Identifier"/>:
/// 「ＮＥＣ」 and "NEC" are one, also in states stored before names were normalized on write); other spellings of one
/// company (「日本電気」) are different vendors here.
/// </summary>
public static class MarketConcentration
{
    /// <summary>The HHI above which a market is highly concentrated (U.S. DOJ/FTC Merger Guidelines 2023).</summary>
    public const double HighlyConcentratedAbove = 1800;

    public const string NationCode = "00";

    /// <summary>The HHI of suppliers with these system counts: Σ (100 · count / total)², 0..10,000; null when the total is 0. Counts must not be negative.</summary>
    public static double? Hhi(IEnumerable<int> counts)
    {
        var list = counts as IReadOnlyCollection<int> ?? [.. counts];
        long total = 0;
        foreach (var c in list)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(c);
            total += c;
        }

        if (total == 0)
        {
            return null;
        }

        var hhi = 0.0;
        foreach (var c in list)
        {
            var share = 100.0 * c / total;
            hhi += share * share;
        }

        return hhi;
    }

    /// <summary>The figures of one market: <paramref name="suppliers"/> holds one entry per applicable system (null: not reported); at most <paramref name="top"/> shares are listed.</summary>
    public static MarketConcentrationFigures Of(IEnumerable<string?> suppliers, int top = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var systems = 0;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in suppliers)
        {
            systems++;
            if (s is not null)
            {
                counts[s] = counts.GetValueOrDefault(s) + 1;
            }
        }

        var known = counts.Values.Sum();
        var ranked = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        var shares = ranked.Take(top).Select(p => new MarketShare(p.Key, p.Value, 100.0 * p.Value / known)).ToImmutableArray();
        return new MarketConcentrationFigures(systems, known, counts.Count, shares, known - shares.Sum(s => s.Systems), Hhi(counts.Values));
    }

    /// <summary>Vendors and providers, nationally and per prefecture; at most <paramref name="top"/> shares listed per market (the HHI always counts all).</summary>
    public static ConcentrationResult Compute(IReadOnlyList<MarketSystem> systems, int top = int.MaxValue)
    {
        var nation = Area(NationCode, systems, top);
        var prefectures = systems.GroupBy(s => s.PrefectureCode, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Area(g.Key, [.. g], top))
            .ToImmutableArray();
        return new ConcentrationResult(nation, prefectures);
    }

    private static AreaConcentration Area(string code, IReadOnlyList<MarketSystem> systems, int top) =>
        new(code,
            Of(systems.Select(s => Rules.FreeText.Identifier(s.Vendor)), top),
            Of(systems.Select(s => s.CloudProvider is { } p ? Wire.Name(p) : null), top));
}

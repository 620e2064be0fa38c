using Readiness.Planning;

namespace Readiness.Tests.Planning;

/// <summary>
/// A synthetic world with known truth: every system starts at a random time in the past and spends a log-normal
/// number of months in each phase 0..8 (true medians <see cref="TrueMedians"/>, log-σ <see cref="TrueSigma"/>), then
/// goes live; vendors optionally limit go-lives per calendar month (first come first served). The history up to
/// <see cref="AsOf"/> is what the product would have seen; what happens later is the held-out outcome.
/// </summary>
public sealed class SyntheticHistory
{
    public static readonly DateOnly AsOf = new(2026, 12, 1);
    public static readonly double[] TrueMedians = [2, 1.5, 2, 3, 2.5, 4, 1.5, 6, 3];
    public const double TrueSigma = 0.5;

    public required List<ForecastSystem> Systems { get; init; }
    public required ForecastHistory History { get; init; }

    /// <summary>The actual go-live day of each system not live at <see cref="AsOf"/>, keyed by (municipality, business).</summary>
    public required Dictionary<(string, string), DateOnly> Outcomes { get; init; }

    public static DateOnly Day(double monthsFromAsOf) => AsOf.AddDays((int)Math.Round(monthsFromAsOf * ForecastModel.DaysPerMonth));

    /// <param name="systems">How many systems (municipalities of 5 systems, 10 municipalities a prefecture).</param>
    /// <param name="vendorCapacity">Per vendor "V0", "V1", ... its go-lives per month; empty: no vendors, no limit.</param>
    public static SyntheticHistory Create(int systems, int seed, int[]? vendorCapacity = null, double startWindowMonths = 48)
    {
        var random = new Random(seed);
        var vendors = vendorCapacity ?? [];
        var starts = new double[systems];
        var phaseEntry = new double[systems][];
        for (var i = 0; i < systems; i++)
        {
            starts[i] = -random.NextDouble() * startWindowMonths;
            var entry = new double[10];
            entry[0] = starts[i];
            for (var p = 0; p < 9; p++)
            {
                entry[p + 1] = entry[p] + LogNormal(random, Math.Log(TrueMedians[p]), TrueSigma);
            }

            phaseEntry[i] = entry;
        }

        string? VendorOf(int i) => vendors.Length == 0 ? null : $"V{i % vendors.Length}";

        // Vendor capacity: ready systems queue per vendor in calendar months, first ready first served.
        if (vendors.Length > 0)
        {
            for (var v = 0; v < vendors.Length; v++)
            {
                var used = new Dictionary<int, int>();
                foreach (var i in Enumerable.Range(0, systems).Where(i => i % vendors.Length == v).OrderBy(i => phaseEntry[i][9]))
                {
                    var month = (int)Math.Floor(phaseEntry[i][9]);
                    while (used.GetValueOrDefault(month) >= vendors[v])
                    {
                        month++;
                    }

                    used[month] = used.GetValueOrDefault(month) + 1;
                    phaseEntry[i][9] = Math.Max(phaseEntry[i][9], month + 0.5);
                }
            }
        }

        var forecastSystems = new List<ForecastSystem>();
        var transitions = new List<PhaseTransition>();
        var outcomes = new Dictionary<(string, string), DateOnly>();
        for (var i = 0; i < systems; i++)
        {
            var municipality = i / 5;
            var code = $"{(municipality / 10) + 1:00}{municipality % 10:0000}";
            var business = $"b{i % 5}";
            var entry = phaseEntry[i];
            var phase = MigrationPhase.NotStarted;
            DateOnly since = Day(entry[0]);
            transitions.Add(new PhaseTransition(code, business, MigrationPhase.NotStarted, MigrationPhase.NotStarted, since, Vendor: VendorOf(i)));
            for (var p = 1; p <= 9; p++)
            {
                var at = Day(entry[p]);
                if (at > AsOf)
                {
                    break;
                }

                transitions.Add(new PhaseTransition(code, business, (MigrationPhase)(p - 1), (MigrationPhase)p, at, Vendor: VendorOf(i)));
                phase = (MigrationPhase)p;
                since = at;
            }

            if (phase < MigrationPhase.InProduction)
            {
                outcomes[(code, business)] = Day(entry[9]);
            }

            forecastSystems.Add(new ForecastSystem
            {
                MunicipalityCode = code,
                BusinessId = business,
                Phase = phase,
                PhaseSince = since,
                Vendor = VendorOf(i),
            });
        }

        return new SyntheticHistory
        {
            Systems = forecastSystems,
            History = new ForecastHistory { Transitions = [.. transitions] },
            Outcomes = outcomes,
        };
    }

    private static double LogNormal(Random random, double mu, double sigma)
    {
        // Box–Muller.
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Exp(mu + (sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)));
    }
}

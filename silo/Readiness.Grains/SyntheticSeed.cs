using System.Collections.Immutable;
using System.Globalization;
using Bogus;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Grains;

/// <summary>
/// Demo data, deterministic per seed and municipality, calibrated to the published national figures in domain.md
/// (38.4% of systems migrated by Jan 2026; 52.3% of bodies and 25.9% of systems designated by Dec 2025; reasons in
/// the proportions of Jul 2025). Always labelled synthetic.
/// </summary>
public sealed class SyntheticSeed(int seed, TimeProvider time) : IMunicipalitySeed
{
    public const double MigratedShare = 0.384;
    public const double BodiesWithDesignation = 0.523;

    // Within a designating body, the share of not-yet-migrated systems designated, so that ~25.9% of all systems are.
    public const double DesignatedShareOfOpen = 0.259 / BodiesWithDesignation / (1 - MigratedShare);

    public static readonly DataProvenance Provenance = new(
        DataOrigin.Synthetic,
        "合成データ（デモ用・実在の報告ではありません） / Synthetic demo data, not real reports",
        ["Bogus (seeded), calibrated to published national figures"]);

    private static readonly DesignationReason[] Reasons =
        [DesignationReason.Mainframe, DesignationReason.CustomBuilt, DesignationReason.NoStandardProduct, DesignationReason.VendorCapacity, DesignationReason.Other];

    // Bogus wants weights that sum to 1.
    private static readonly float[] ReasonWeights = Normalize([45f, 196f, 184f, 3345f, 40f]);

    // Demo only: the Government Cloud provider a municipality mostly uses. This product's assumption (most municipalities
    // are reported to have chosen AWS; no published per-provider share is used), never shown as real.
    private static readonly CloudProvider[] Providers =
        [CloudProvider.Aws, CloudProvider.MicrosoftAzure, CloudProvider.GoogleCloud, CloudProvider.OracleCloudInfrastructure, CloudProvider.SakuraCloud];

    private static readonly float[] ProviderWeights = Normalize([75f, 10f, 7f, 6f, 2f]);

    public int Seed { get; } = seed;

    public static float[] Normalize(float[] weights)
    {
        var sum = weights.Sum();
        return weights.Select(w => w / sum).ToArray();
    }

    public MunicipalityRecord Create(string code, DateTimeOffset now)
    {
        var catalog = ReadinessCatalog.Instance;
        var info = catalog.MunicipalitiesByCode[code];
        var faker = new Faker("ja") { Random = new Randomizer(unchecked((Seed * 7919) + int.Parse(code, CultureInfo.InvariantCulture))) };
        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        var designating = faker.Random.Double() < BodiesWithDesignation;
        var vendors = Enumerable.Range(0, 3).Select(_ => faker.Company.CompanyName()).ToArray();
        var lastReported = now.AddDays(-faker.Random.Double(0, 60));

        // A stream of its own, so that adding the provider left every other generated value as it was.
        var cloud = new Randomizer(unchecked((Seed * 104729) + int.Parse(code, CultureInfo.InvariantCulture)));
        var primary = cloud.WeightedRandom(Providers, ProviderWeights);
        var systems = catalog.BusinessSystems.Select(b =>
        {
            var notApplicable = b.Id == "public_assistance" && info.Kind is MunicipalityKind.Town or MunicipalityKind.Village && faker.Random.Double() < 0.7;
            var migrated = faker.Random.Double() < MigratedShare;
            var phase = migrated
                ? faker.Random.WeightedRandom([MigrationPhase.InProduction, MigrationPhase.LegacyDecommissioned], [0.8f, 0.2f])
                : (MigrationPhase)faker.Random.WeightedRandom([0, 1, 2, 3, 4, 5, 6, 7, 8], [0.02f, 0.03f, 0.05f, 0.08f, 0.1f, 0.12f, 0.15f, 0.25f, 0.2f]);
            var designated = !migrated && designating && faker.Random.Double() < DesignatedShareOfOpen;
            var reason = designated ? faker.Random.WeightedRandom(Reasons, ReasonWeights) : (DesignationReason?)null;
            DateOnly? target = designated
                ? today.AddDays(faker.Random.Int(-60, 1700)).AddDays(faker.Random.Double() < 0.02 ? 900 : 0)
                : null;
            DateOnly? planned = migrated ? today.AddDays(-faker.Random.Int(30, 600)) : designated ? target : today.AddDays(faker.Random.Int(-120, 540));
            // The order of the draws is the one the seed always had (vendor, then hosting): the demo data stay the same.
            var vendor = notApplicable ? null : faker.PickRandom(vendors);
            var hosting = notApplicable ? null : migrated ? faker.Random.WeightedRandom([HostingKind.GovernmentCloud, HostingKind.OtherCloud, HostingKind.OnPremises], [0.85f, 0.1f, 0.05f]) : (HostingKind?)null;
            return new SystemStatus
            {
                BusinessId = b.Id,
                Phase = phase,
                NotApplicable = notApplicable,
                PlannedGoLive = notApplicable ? null : planned,
                Vendor = vendor,
                Hosting = hosting,
                CloudProvider = hosting == HostingKind.GovernmentCloud ? (cloud.Double() < 0.9 ? primary : cloud.ArrayElement(Providers)) : null,
                Designated = designated,
                DesignationReason = reason,
                DesignationTarget = target,
                ReportedAt = lastReported,
            };
        }).ToImmutableArray();
        var security = catalog.SecurityItems.Select(i => new SecurityItemStatus
        {
            ItemId = i.Id,
            Status = faker.Random.WeightedRandom(
                [SecurityStatus.Implemented, SecurityStatus.Partial, SecurityStatus.NotImplemented, SecurityStatus.NotAssessed, SecurityStatus.NotApplicable],
                [0.45f, 0.25f, 0.1f, 0.15f, 0.05f]),
            LastReviewed = today.AddDays(-faker.Random.Int(1, 400)),
            ReportedAt = lastReported,
        }).ToImmutableArray();
        return Baseline.Empty(code, now, Provenance) with
        {
            Systems = systems,
            Security = security,
            LastReportedAt = lastReported,
        };
    }
}

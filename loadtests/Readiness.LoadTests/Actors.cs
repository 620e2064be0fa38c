using System.Globalization;
using Bogus;
using Readiness.Catalog;

namespace Readiness.LoadTests;

/// <summary>
/// A municipality's IT staff as the load test plays them: a Japanese name, their vendors, and changes that follow
/// the phase model (mostly forward, occasional regressions with reasons, designations with reasons in the published
/// proportions, checklist updates). Deterministic for a given seed.
/// </summary>
public sealed class MunicipalityActor
{
    private static readonly string[] RegressionReasons =
    [
        "ベンダーの撤退により再調達が必要になったため",
        "運用テストで帳票の不具合が見つかり移行を延期",
        "データ移行の検証で不整合が判明したため",
        "標準仕様書の改定に対応するため再度Fit&Gapを実施",
    ];

    // Jul 2025 published split: 45 mainframe, 196 custom-built, 184 no standard product, 3,345 vendor capacity (+ a few other).
    private static readonly DesignationReason[] Reasons = [DesignationReason.Mainframe, DesignationReason.CustomBuilt, DesignationReason.NoStandardProduct, DesignationReason.VendorCapacity, DesignationReason.Other];
    private static readonly float[] ReasonWeights = [45f / 3800, 196f / 3800, 184f / 3800, 3345f / 3800, 30f / 3800]; // Bogus wants weights summing to 1

    private readonly Faker faker;
    private readonly MigrationPhase[] phases;

    public MunicipalityActor(MunicipalityInfo municipality, int seed)
    {
        Municipality = municipality;
        faker = new Faker("ja") { Random = new Randomizer(unchecked((seed * 31) + int.Parse(municipality.Code, CultureInfo.InvariantCulture))) };
        StaffName = faker.Name.LastName() + " " + faker.Name.FirstName();
        Subject = $"{faker.Random.AlphaNumeric(6)}@{municipality.Code}.lg.example.jp";
        Vendors = Enumerable.Range(0, 2).Select(_ => faker.Company.CompanyName()).ToArray();
        phases = ReadinessCatalog.Instance.BusinessSystems.Select(_ => faker.Random.WeightedRandom(
            [MigrationPhase.Procurement, MigrationPhase.Contract, MigrationPhase.BuildAndDataMigration, MigrationPhase.Testing, MigrationPhase.InProduction],
            [0.1f, 0.2f, 0.3f, 0.2f, 0.2f])).ToArray();
    }

    public MunicipalityInfo Municipality { get; }

    public string StaffName { get; }

    public string Subject { get; }

    public IReadOnlyList<string> Vendors { get; }

    /// <summary>Starts from the phases the server holds, so that "forward" means forward from what is really stored.</summary>
    public void Sync(IReadOnlyDictionary<string, MigrationPhase> stored)
    {
        var systems = ReadinessCatalog.Instance.BusinessSystems;
        for (var i = 0; i < systems.Count; i++)
        {
            if (stored.TryGetValue(systems[i].Id, out var phase))
            {
                phases[i] = phase;
            }
        }
    }

    /// <summary>Lets the actor follow a refusal: the server's phase for one system wins.</summary>
    public void Correct(string businessId, MigrationPhase stored)
    {
        var systems = ReadinessCatalog.Instance.BusinessSystems;
        for (var i = 0; i < systems.Count; i++)
        {
            if (systems[i].Id == businessId)
            {
                phases[i] = stored;
            }
        }
    }

    /// <summary>A third of single changes are checklist updates, the rest system changes.</summary>
    public bool NextIsSecurity() => faker.Random.Double() < 0.3;

    /// <summary>A change to one system: the next step of its phase, or now and then a regression or a designation.</summary>
    public SystemChange NextSystemChange(DateOnly today)
    {
        var catalog = ReadinessCatalog.Instance;
        var index = faker.Random.Int(0, catalog.BusinessSystems.Count - 1);
        var business = catalog.BusinessSystems[index];
        var current = phases[index];
        var roll = faker.Random.Double();
        if (roll < 0.03 && current > MigrationPhase.NotStarted)
        {
            var back = (MigrationPhase)faker.Random.Int(Math.Max(0, (int)current - 3), (int)current - 1);
            phases[index] = back;
            return Change(business.Id, back, today) with { Reason = faker.PickRandom(RegressionReasons) };
        }

        if (roll < 0.13 && current < MigrationPhase.InProduction)
        {
            var reason = faker.Random.WeightedRandom(Reasons, ReasonWeights);
            return Change(business.Id, current, today) with
            {
                Designation = new DesignationInput(reason, today.AddDays(faker.Random.Int(120, 1500))),

                // その他 needs its details (422 designation_reason_note_required without), as a municipality's client sends them.
                DesignationReasonNote = reason == DesignationReason.Other ? "庁内の改修計画と調整中のため（負荷試験）" : null,
            };
        }

        var next = current < MigrationPhase.LegacyDecommissioned ? current + 1 : current;
        phases[index] = next;
        return Change(business.Id, next, today);
    }

    public SecurityChange NextSecurityChange(DateOnly today)
    {
        var item = faker.PickRandom(ReadinessCatalog.Instance.SecurityItems.ToArray());
        return new SecurityChange
        {
            ItemId = item.Id,
            Status = faker.Random.WeightedRandom([SecurityStatus.Implemented, SecurityStatus.Partial, SecurityStatus.NotImplemented, SecurityStatus.NotApplicable], [0.55f, 0.3f, 0.1f, 0.05f]),
            Evidence = faker.Random.Bool(0.5f) ? $"情報セキュリティ対策基準 第{item.Chapter}章 {faker.Random.Int(1, 20)}条" : null,
            LastReviewed = today.AddDays(-faker.Random.Int(0, 300)),
        };
    }

    /// <summary>A full report: all 20 systems (phases as this actor last knew them, never backwards) and all 47 items.</summary>
    public (IReadOnlyList<SystemChange> Systems, IReadOnlyList<SecurityChange> Security) FullReport(DateOnly today)
    {
        var catalog = ReadinessCatalog.Instance;
        var systems = catalog.BusinessSystems.Select((b, i) => Change(b.Id, phases[i], today)).ToList();
        var security = catalog.SecurityItems.Select(item => new SecurityChange
        {
            ItemId = item.Id,
            Status = faker.Random.WeightedRandom([SecurityStatus.Implemented, SecurityStatus.Partial, SecurityStatus.NotImplemented, SecurityStatus.NotAssessed], [0.5f, 0.25f, 0.1f, 0.15f]),
            LastReviewed = today.AddDays(-faker.Random.Int(0, 300)),
        }).ToList();
        return (systems, security);
    }

    private SystemChange Change(string businessId, MigrationPhase phase, DateOnly today) => new()
    {
        BusinessId = businessId,
        Phase = phase,
        Vendor = Vendors[faker.Random.Int(0, Vendors.Count - 1)],
        Hosting = phase >= MigrationPhase.InProduction ? HostingKind.GovernmentCloud : null,
        PlannedGoLive = phase >= MigrationPhase.InProduction ? null : today.AddDays(faker.Random.Int(30, 540)),
    };
}

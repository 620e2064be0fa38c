using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Imports;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Imports;

/// <summary>The filters of the reconciliation list: prefecture code, kind (wire name) and business id; null: any.</summary>
public sealed record ReconciliationFilter(string? Prefecture, DifferenceKind? Kind, string? Business);

/// <summary>
/// The reconciliation list (issue 11, item 3) for a caller: national staff and administrators see every municipality,
/// prefecture staff their prefecture's, municipal staff their own. Reads each municipality's record from its grain and
/// compares with the pure <see cref="Reconciliation.Compare"/> against the latest official designation list.
/// </summary>
public sealed class ReconciliationService(IGrainFactory grains, GrainCalls calls, MunicipalityRecords reads)
{
    private OfficialDesignations? imported;

    /// <summary>
    /// The official designation list compared with: the applied designation-list dataset in effect
    /// (<see cref="OfficialSources"/>), the public baseline's (Digital Agency, December 2025) until one is. Read from the
    /// import index and the dataset's grain; the parsed list is kept per dataset id, as datasets never change.
    /// </summary>
    public async Task<OfficialDesignations> DesignationsAsync(CancellationToken cancellationToken)
    {
        var listings = await calls.Run(() => grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key).ListAsync(), idempotent: true, cancellationToken);
        // The list in effect, by the same rule as the nation's sources.
        var latest = OfficialSources.Chain(listings, DateTimeOffset.MaxValue, designation: true, ReadinessCatalog.Instance.Municipalities.Count)[0];
        if (latest is null)
        {
            return OfficialDesignations.Baseline;
        }

        if (imported is { } known && known.DatasetId == latest.Id)
        {
            return known;
        }

        var record = await calls.Run(() => grains.GetGrain<IOfficialImportGrain>(latest.Id).GetAsync(), idempotent: true, cancellationToken);
        if (record is null)
        {
            return OfficialDesignations.Baseline;
        }

        var list = OfficialDesignations.From(record);
        imported = list;
        return list;
    }

    /// <summary>
    /// Parses and checks the query against the caller's tenant: a problem naming prefecture, kind or business for
    /// unknown values (400), or a prefecture outside the caller's tenant (403).
    /// </summary>
    public static (ReconciliationFilter? Filter, ProblemError? Error, int Status) Parse(ReadinessCaller caller, string? prefecture, string? kind, string? business)
    {
        var catalog = ReadinessCatalog.Instance;
        prefecture = string.IsNullOrWhiteSpace(prefecture) ? null : prefecture.Trim();
        kind = string.IsNullOrWhiteSpace(kind) ? null : kind.Trim();
        business = string.IsNullOrWhiteSpace(business) ? null : business.Trim();
        if (prefecture is not null && QueryValue.PrefectureCodeShape(prefecture) is { } malformed)
        {
            return (null, malformed, 400);
        }

        if (prefecture is not null && !catalog.PrefecturesByCode.ContainsKey(prefecture))
        {
            return (null, new("prefecture", "unknown_prefecture", $"都道府県コード「{Problems.Shown(prefecture)}」はありません（01〜47の2桁）。",
                $"Unknown prefecture code '{Problems.Shown(prefecture)}' (two digits, 01-47)."), 400);
        }

        DifferenceKind? parsedKind = null;
        if (kind is not null)
        {
            if (!Wire.TryParse<DifferenceKind>(kind, out var k))
            {
                // The closed set's refusal, as every other query value outside its set (one code, unknown_value).
                var allowed = Enum.GetValues<DifferenceKind>().Select(v => Wire.Name(v)).ToArray();
                return (null, new("kind", "unknown_value", $"差異の種類 kind に「{Problems.Shown(kind)}」は指定できません（{string.Join("、", allowed)}）。",
                    $"'{Problems.Shown(kind)}' is not a kind of difference ({string.Join(", ", allowed)})."), 400);
            }

            parsedKind = k;
        }

        if (business is not null && !catalog.BusinessIndex.ContainsKey(business))
        {
            return (null, new("business", "unknown_business", $"業務「{Problems.Shown(business)}」は標準化対象の20業務にありません。",
                $"Unknown business system '{Problems.Shown(business)}'."), 400);
        }

        if (prefecture is not null && MayRead(caller, prefecture))
        {
            return (new ReconciliationFilter(prefecture, parsedKind, business), null, 200);
        }

        if (prefecture is not null && caller.Role == Role.Prefecture && caller.Tenant != prefecture)
        {
            return (null, new("prefecture", "forbidden_tenant", "他の都道府県の突合結果は閲覧できません（自県のみ）。",
                "You may not read another prefecture's reconciliation (your own only)."), 403);
        }

        if (prefecture is not null && caller.Role == Role.Municipality && caller.Tenant?[..2] != prefecture)
        {
            return (null, new("prefecture", "forbidden_tenant", "他の都道府県の突合結果は閲覧できません（自団体のみ）。",
                "You may not read another prefecture's reconciliation (your own municipality only)."), 403);
        }

        return (new ReconciliationFilter(prefecture, parsedKind, business), null, 200);
    }

    /// <summary>
    /// Whether <paramref name="caller"/> may read <paramref name="prefecture"/>'s reconciliation (the filter
    /// ?prefecture=): national staff and administrators any, a prefecture its own, a municipality its prefecture. Pages
    /// link to it only where this holds (a prefecture page linked it for every viewer, answering 403 to most).
    /// </summary>
    public static bool MayRead(ReadinessCaller? caller, string prefecture) => caller?.Role switch
    {
        Role.National or Role.Admin => true,
        Role.Prefecture => caller.Tenant == prefecture,
        Role.Municipality => caller.Tenant is { Length: >= 2 } m && m[..2] == prefecture,
        _ => false,
    };

    /// <summary>The municipalities the caller may see, narrowed by the filter's prefecture.</summary>
    public static IReadOnlyList<MunicipalityInfo> Scope(ReadinessCaller caller, string? prefecture)
    {
        var catalog = ReadinessCatalog.Instance;
        return caller.Role switch
        {
            Role.National or Role.Admin => prefecture is null ? catalog.Municipalities : catalog.MunicipalitiesByPrefecture[prefecture],
            Role.Prefecture when caller.Tenant is { } p && catalog.MunicipalitiesByPrefecture.TryGetValue(p, out var own) => own,
            Role.Municipality when caller.Tenant is { } m && catalog.MunicipalitiesByCode.TryGetValue(m, out var mine) => [mine],
            _ => [],
        };
    }

    /// <summary>
    /// Every difference in the caller's scope that the filter selects, by municipality code then catalog order, and the
    /// municipalities of the scope that could not be compared because their stored state cannot be read.
    /// </summary>
    public async Task<(ImmutableArray<ReconciliationDifference> Differences, IReadOnlyList<MunicipalityInfo> Unreadable)> ListAsync(ReadinessCaller caller, ReconciliationFilter filter,
        CancellationToken cancellationToken)
    {
        var result = ImmutableArray.CreateBuilder<ReconciliationDifference>();
        var designations = await DesignationsAsync(cancellationToken);
        var read = await reads.ReadAsync(Scope(caller, filter.Prefecture), cancellationToken);
        foreach (var (_, record) in read.Readable)
        {
            result.AddRange(Reconciliation.Compare(record, designations).Where(d => Reconciliation.Matches(d, filter.Prefecture, filter.Kind, filter.Business)));
        }

        return (result.ToImmutable(), read.Unreadable);
    }
}

namespace Readiness.Imports;

/// <summary>
/// What a designation list takes away. The Digital Agency's list is complete (domain.md: a municipality or prefecture
/// it does not mark has no 特定移行支援システム), so a file that is only part of the list (a filtered sheet, one
/// prefecture's extract, a sheet filtered to 区分≠都道府県, a copy whose ● marks were lost) takes designations away from
/// everyone it leaves out. Breakers did exactly that: a two-row list undesignated 887 municipalities; a list with no
/// prefecture rows undesignated all 48 of the prefectures' own systems; a list naming every municipality without a
/// mark undesignated all 8,410 systems. Every designation lost counts, named in the file or not, municipal or
/// prefecture-run. All counts are before the list is applied.
/// </summary>
/// <param name="DesignatedNow">Municipalities holding at least one designated system now.</param>
/// <param name="Listed">Municipalities the file names (its matched rows).</param>
/// <param name="SystemsDesignatedNow">Municipalities' systems designated now.</param>
/// <param name="SystemsLosing">Of those, the systems the list takes the designation away from (named in the file or not).</param>
/// <param name="MunicipalitiesLosingAll">Municipalities designated now that would hold no designated system.</param>
/// <param name="PrefectureSystemsDesignatedNow">The prefectures' own (prefecture-run) systems designated now.</param>
/// <param name="PrefectureSystemsLosing">Of those, the systems the list takes the designation away from.</param>
/// <param name="PrefecturesLosingAll">Prefectures with an own designated system now that would hold none.</param>
public sealed record DesignationRemovals(
    int DesignatedNow, int Listed, int SystemsDesignatedNow, int SystemsLosing, int MunicipalitiesLosingAll,
    int PrefectureSystemsDesignatedNow, int PrefectureSystemsLosing, int PrefecturesLosingAll)
{
    /// <summary>None: what a list that takes nothing away (or a dataset of another kind) has.</summary>
    public static readonly DesignationRemovals None = new(0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>The code of the preview's warning and of the apply's refusal, and the value of the apply's <c>confirm</c> that accepts it.</summary>
    public const string PartialList = "partial_list";

    /// <summary>The code of the preview's warning when some municipality or prefecture would hold no designation any more, without needing a confirmation.</summary>
    public const string UnlistedUndesignated = "unlisted_undesignated";

    /// <summary>
    /// Whether applying needs an explicit confirmation: the list takes away more than a quarter of the municipalities'
    /// designated systems, or of the prefectures' own, or names fewer than half of the municipalities designated now
    /// while taking every designation away from some. A release of the list shrinks as municipalities finish migrating,
    /// by a few per cent from one release to the next; a file that takes a quarter away is far more likely a part of the
    /// list (a breaker's list keeping half of each municipality's marks took 47 % away) than the whole of it.
    /// </summary>
    public bool NeedsConfirmation => TakesOverQuarter(SystemsDesignatedNow, SystemsLosing)
        || TakesOverQuarter(PrefectureSystemsDesignatedNow, PrefectureSystemsLosing)
        || NamesUnderHalf;

    private bool NamesUnderHalf => MunicipalitiesLosingAll > 0 && Listed * 2L < DesignatedNow;

    private static bool TakesOverQuarter(int now, int losing) => losing > 0 && losing * 4L > now;

    /// <summary>
    /// The preview's warning (Japanese, English) and its code; null when no municipality or prefecture would hold no
    /// designation any more and no confirmation is needed. A statement of what the list does, true before and after the
    /// apply (it is kept with the import); what to do about it stands beside the confirmation box (page) and in the 409.
    /// </summary>
    public (string Code, string MessageJa, string MessageEn)? Warning
    {
        get
        {
            var needs = NeedsConfirmation;
            if (!needs && MunicipalitiesLosingAll == 0 && PrefecturesLosingAll == 0)
            {
                return null;
            }

            // Only the parts that lose something are named: a clause of zeros reads as if something were wrong there.
            var partsJa = new List<string>();
            var partsEn = new List<string>();
            if (SystemsLosing > 0)
            {
                partsJa.Add($"市区町村の特定移行支援システム {SystemsDesignatedNow:N0} のうち {SystemsLosing:N0}" + (MunicipalitiesLosingAll > 0 ? $"（{MunicipalitiesLosingAll:N0} 団体はすべて）" : ""));
                partsEn.Add($"{SystemsLosing:N0} of the municipalities' {SystemsDesignatedNow:N0} designated systems"
                    + (MunicipalitiesLosingAll > 0 ? $" (all of them in {Count(MunicipalitiesLosingAll, "municipality", "municipalities")})" : ""));
            }

            if (PrefectureSystemsLosing > 0)
            {
                partsJa.Add($"都道府県が自ら運用するシステム {PrefectureSystemsDesignatedNow:N0} のうち {PrefectureSystemsLosing:N0}" + (PrefecturesLosingAll > 0 ? $"（{PrefecturesLosingAll:N0} 都道府県はすべて）" : ""));
                partsEn.Add($"{PrefectureSystemsLosing:N0} of the prefectures' own {PrefectureSystemsDesignatedNow:N0} designated systems"
                    + (PrefecturesLosingAll > 0 ? $" (all of them in {Count(PrefecturesLosingAll, "prefecture", "prefectures")})" : ""));
            }

            var ja = $"この一覧を適用すると、{string.Join("と、", partsJa)}から指定が外れます。一覧は全国分として扱います（一覧が挙げる市区町村は {Listed:N0}、いま指定がある市区町村は {DesignatedNow:N0}）。";
            var en = $"Applying this list takes the designation away from {string.Join(" and from ", partsEn)}. The list is taken as complete (it names {Listed:N0} {(Listed == 1 ? "municipality" : "municipalities")}; {DesignatedNow:N0} hold designated systems now).";
            if (!needs)
            {
                return (UnlistedUndesignated, ja, en);
            }

            // Why it needs a confirmation: the threshold it crossed, named as it is.
            var whyJa = new List<string>();
            var whyEn = new List<string>();
            if (TakesOverQuarter(SystemsDesignatedNow, SystemsLosing) || TakesOverQuarter(PrefectureSystemsDesignatedNow, PrefectureSystemsLosing))
            {
                whyJa.Add("指定の4分の1を超えて外れます");
                whyEn.Add("it takes away more than a quarter of the designations");
            }

            if (NamesUnderHalf)
            {
                whyJa.Add("一覧が挙げる市区町村はいま指定がある市区町村の半分に満たない数です");
                whyEn.Add("it names fewer than half of the municipalities designated now");
            }

            return (PartialList,
                ja + string.Join("。また、", whyJa) + "。一覧の一部（絞り込んだシート、都道府県の行がない、印が消えたなど）で起きる規模のため、適用には確認が要ります。",
                en + " " + char.ToUpperInvariant(whyEn[0][0]) + string.Join(", and ", whyEn)[1..] + ": the scale a part of the list makes (a filtered sheet, no prefecture rows, marks lost), so applying needs a confirmation.");
        }
    }

    private static string Count(int n, string one, string many) => $"{n:N0} {(n == 1 ? one : many)}";
}

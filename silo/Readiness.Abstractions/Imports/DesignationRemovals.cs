namespace Readiness.Imports;

/// <summary>
/// What a designation list takes away from the municipalities it does not name. The Digital Agency's list is complete
/// (domain.md: a municipality not on it has no 特定移行支援システム), so a file that names only part of the list (a
/// filtered sheet, a prefecture's extract) would take every designation away from all the others. A breaker did exactly
/// that: a two-row list undesignated 887 municipalities with no warning, and the real list, being older, could not
/// restore them.
/// </summary>
/// <param name="DesignatedNow">Municipalities holding at least one designated system before the list is applied.</param>
/// <param name="Listed">Municipalities the file names (its matched rows).</param>
/// <param name="MunicipalitiesLosingAll">Municipalities the file does not name that hold designations now and would hold none.</param>
/// <param name="SystemsLosing">Their designated systems, counted before the list is applied.</param>
public sealed record DesignationRemovals(int DesignatedNow, int Listed, int MunicipalitiesLosingAll, int SystemsLosing)
{
    /// <summary>The code of the preview's warning and of the apply's refusal, and the value of the apply's <c>confirm</c> that accepts it.</summary>
    public const string PartialList = "partial_list";

    /// <summary>The code of the preview's warning when the list takes designations away but names at least half of those designated now.</summary>
    public const string UnlistedUndesignated = "unlisted_undesignated";

    /// <summary>
    /// Whether applying needs an explicit confirmation: the list takes designations away from municipalities it does
    /// not name and names fewer than half of the municipalities designated now. A release of the list shrinks as
    /// municipalities finish migrating, but not by half from one release to the next; a file that does is far more
    /// likely a part of the list than the whole of it.
    /// </summary>
    public bool NeedsConfirmation => MunicipalitiesLosingAll > 0 && Listed * 2L < DesignatedNow;

    /// <summary>The preview's warning (Japanese, English) and its code; null when the list takes nothing away from a municipality it does not name.</summary>
    public (string Code, string MessageJa, string MessageEn)? Warning => MunicipalitiesLosingAll == 0 ? null
        : NeedsConfirmation
            ? (PartialList,
                $"この一覧は {Listed:N0} 団体だけを挙げています（いま特定移行支援システムがある団体は {DesignatedNow:N0}）。一覧は全国分として扱うため、適用すると一覧にない {MunicipalitiesLosingAll:N0} 団体の {SystemsLosing:N0} システムから指定が外れます。一覧の一部ではないか確かめてください。全国分であれば「指定が外れることを確認しました」にチェックして適用してください（API は confirm=partial_list）。",
                $"This list names only {Listed:N0} municipalities ({DesignatedNow:N0} hold designated systems now). The list is taken as complete, so applying it takes the designation away from {SystemsLosing:N0} systems of {MunicipalitiesLosingAll:N0} municipalities it does not name. Check that it is not part of the list; if it is the whole list, tick “I have checked that these designations are removed” and apply (API: confirm=partial_list).")
            : (UnlistedUndesignated,
                $"一覧にない {MunicipalitiesLosingAll:N0} 団体の {SystemsLosing:N0} システムから特定移行支援システムの指定が外れます（一覧は全国分として扱います）。",
                $"Applying takes the designation away from {SystemsLosing:N0} systems of {MunicipalitiesLosingAll:N0} municipalities the list does not name (the list is taken as complete).");
}

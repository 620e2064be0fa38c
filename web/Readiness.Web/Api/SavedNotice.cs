using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>
/// What a saved report says, in one wording for every channel that reports (the forms' notice, the Excel template's
/// page, the JSON answer of a report or a template): a confirmation (<c>確認済み</c>) when it changed nothing, else "saved".
/// </summary>
public static class SavedNotice
{
    /// <summary>
    /// Whether a report's audit entries (<see cref="ReportResult.Changes"/>, as the grain audited them) are a
    /// confirmation: there are some, and every one has before = after (<see cref="AuditFields.IsConfirmation"/>).
    /// </summary>
    public static bool IsConfirmation(ImmutableArray<ChangeEntry> changes) =>
        !changes.IsDefaultOrEmpty && changes.All(AuditFields.IsConfirmation);

    /// <summary>The Japanese notice for the report saved as <paramref name="version"/>.</summary>
    public static string Ja(long version, bool confirmed) => confirmed
        ? $"変更はありませんでした。現状のまま確認済みとして記録しました（版 {version}）。報告日として数えられます。"
        : $"保存しました（版 {version}）。変更履歴に記録されました。";

    /// <summary>The English of <see cref="Ja"/>.</summary>
    public static string En(long version, bool confirmed) => confirmed
        ? $"Nothing changed: recorded as confirmed as it stands (version {version}). It counts as a report."
        : $"Saved (version {version}). The change is in the history.";
}

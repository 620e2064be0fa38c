using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Web.Components.Edit;

/// <summary>
/// The words of a form refused because what it changes was saved after the version it was opened at (409), the same
/// on a municipality's forms and on the prefecture's own-systems form: who saved (the person themself in another tab or
/// window, in their own words, never "someone else"; or the others by name), what, when and in which version, when the
/// trail was read; otherwise only that it changed, claiming no author.
/// </summary>
public static class ConflictMessage
{
    /// <summary>
    /// The message (no field: shown above the form). <paramref name="version"/> is the version the form was opened at,
    /// <paramref name="current"/> the version now; <paramref name="conflicts"/> the targets saved since with their
    /// entries (empty: not known); <paramref name="me"/> the caller's subject; <paramref name="keptJa"/> and
    /// <paramref name="keptEn"/> the page's sentence saying the input is kept and where to look.
    /// </summary>
    public static FieldMessage Of(long version, long current, ImmutableArray<TargetConflict> conflicts, string? me, string keptJa, string keptEn)
    {
        if (conflicts.IsDefaultOrEmpty)
        {
            // Who is not known (the trail was too long to read, or no report changed it): neither "someone else" nor "you".
            return new(string.Empty,
                $"開いた後に更新されました（あなたが開いた版: {version}、現在の版: {current}）。{keptJa}",
                $"This changed after you opened it (you opened version {version}; it is now version {current}). {keptEn}");
        }

        var names = conflicts.Select(c => TargetNames.Of(c.Target)).ToList();
        var ja = string.Join("、", names.Select(n => n.Ja));
        var en = string.Join(", ", names.Select(n => n.En));
        var last = conflicts.SelectMany(c => c.Changes).MaxBy(c => c.Version)!;
        var at = UiText.DateTimeJst(last.At);
        var actors = conflicts.SelectMany(c => c.Actors).Distinct(StringComparer.Ordinal).ToList();
        if (me is not null && actors.All(a => a == me))
        {
            return new(string.Empty,
                $"あなたが別の画面（タブやウィンドウ）で先に保存しました: {ja}（{at}、版 {last.Version}。この画面で開いた版: {version}、現在の版: {current}）。{keptJa}",
                $"You saved this in another tab or window first: {en} (at {at}, version {last.Version}; this tab opened version {version}; it is now version {current}). {keptEn}");
        }

        var whoJa = string.Join("、", actors.Select(a => a == me ? "あなた（別の画面）" : a));
        var whoEn = string.Join(", ", actors.Select(a => a == me ? "you (in another tab or window)" : a));
        var (othersJa, othersEn) = me is not null && actors.Contains(me)
            ? ("開いた後に更新されました", "This was changed after you opened it")
            : ("他の人が先に更新しました", "Someone else changed this first");
        return new(string.Empty,
            $"{othersJa}: {ja}（あなたが開いた版: {version} の後、版 {last.Version} で {whoJa} が更新（{at}）。現在の版: {current}）。{keptJa}",
            $"{othersEn}: {en} (after version {version}, which you opened, {whoEn} changed it in version {last.Version} at {at}; it is now version {current}). {keptEn}");
    }
}

namespace Readiness.Imports;

/// <summary>
/// The state of one of the PMO tool's 40 steps as MIC's step detail writes it, and the one-character code the product
/// stores (<see cref="SystemStatus.OfficialSteps"/>): D 完了済み, W 作業中, N 未着手 (also a blank cell), X 対象外.
/// The step completion is MIC's own rate: (完了済み + 対象外) / 40, whatever the order the steps were done in. Pure.
/// </summary>
public static class StepStates
{
    public const char Done = 'D';
    public const char Working = 'W';
    public const char NotStarted = 'N';
    public const char NotApplicable = 'X';

    /// <summary>The code of a cell as written (after NFKC, spaces trimmed); blank is 未着手; null when it is none of the four.</summary>
    public static char? Parse(string? cell)
    {
        // The four words as MIC writes them, without normalising (34,820 rows × 40 cells).
        switch (cell)
        {
            case null or "": return NotStarted;
            case "完了済み": return Done;
            case "作業中": return Working;
            case "未着手": return NotStarted;
            case "対象外": return NotApplicable;
        }

        var text = JapaneseNames.Normalize(cell);
        return text switch
        {
            "" or "未着手" or "-" => NotStarted,
            "完了済み" or "完了済" or "完了" => Done,
            "作業中" or "着手中" => Working,
            "対象外" => NotApplicable,
            _ => null,
        };
    }

    /// <summary>(done + not applicable) / 40: the step completion of a 40-character step string.</summary>
    public static decimal Completion(string steps) =>
        (decimal)steps.Count(c => c is Done or NotApplicable) / Rules.Baseline.PmoSteps;

    /// <summary>True when every step is 対象外: the business does not apply to the municipality.</summary>
    public static bool AllNotApplicable(string steps) => steps.Length > 0 && steps.All(c => c == NotApplicable);
}

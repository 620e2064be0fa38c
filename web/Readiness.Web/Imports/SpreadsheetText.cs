using System.Globalization;
using System.Text.RegularExpressions;

namespace Readiness.Web.Imports;

/// <summary>
/// The escape of text in a workbook's cells (ECMA-376 Part 1 §22.9.2.19 ST_Xstring): <c>_xHHHH_</c> (four hex digits)
/// stands for the UTF-16 code unit HHHH, so a cell's literal <c>_x0041_</c> must be written <c>_x005F_x0041_</c> (the
/// underscore escaped) or Excel and other readers show "A". Written by every .xlsx writer of the product (through
/// <see cref="ReportingWorkbook"/>) and undone by its template reader, so a template downloaded and sent back unchanged
/// holds the same text. ExcelDataReader (the official imports) undoes it itself.
/// </summary>
public static partial class SpreadsheetText
{
    /// <summary>
    /// <paramref name="text"/> as a cell holds it: every underscore that begins <c>_xHHHH_</c> (a lower-case x, as the
    /// format has it; hex digits in either case) written as <c>_x005F_</c>; the same instance when there is none (most text).
    /// </summary>
    public static string Escaped(string text) =>
        text.Contains("_x", StringComparison.Ordinal) ? EscapeStart().Replace(text, "_x005F_") : text;

    /// <summary>
    /// A cell's text as it stands for: each <c>_xHHHH_</c>, read left to right, as the code unit HHHH (<c>_x005F_x0041_</c>
    /// is the literal <c>_x0041_</c>); a lone surrogate it gives is left to the checks of free text (it is refused there).
    /// </summary>
    public static string Unescaped(string text) =>
        text.Contains("_x", StringComparison.Ordinal)
            ? Escape().Replace(text, m => ((char)ushort.Parse(m.Groups[1].ValueSpan, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)).ToString())
            : text;

    // Every underscore that a reader would take as an escape's start, overlapping ones included: in _x0041_x0042_ both
    // the first and the one after 0041 (a reader that decoded the first would go on there).
    [GeneratedRegex("_(?=x[0-9A-Fa-f]{4}_)", RegexOptions.CultureInvariant)]
    private static partial Regex EscapeStart();

    [GeneratedRegex("_x([0-9A-Fa-f]{4})_", RegexOptions.CultureInvariant)]
    private static partial Regex Escape();
}

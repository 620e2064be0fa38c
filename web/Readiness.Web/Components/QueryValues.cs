using System.Globalization;

namespace Readiness.Web.Components;

/// <summary>
/// Typed values the pages read from their query string, read leniently: a page takes query values as text and asks
/// here, because Blazor answers a value its <c>[SupplyParameterFromQuery]</c> cannot convert (<c>?saved=abc</c> for a
/// <c>long?</c>) with a 500. A value that is not one of the links the product makes is ignored (null).
/// </summary>
public static class QueryValues
{
    /// <summary>A municipality's or prefecture run's version (ASCII digits, 0 to <see cref="long.MaxValue"/>), else null.</summary>
    public static long? Version(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
}

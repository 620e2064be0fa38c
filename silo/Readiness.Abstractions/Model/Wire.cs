using System.Collections.Frozen;
using System.Text.Json;

namespace Readiness;

/// <summary>The snake_case names enums have on the wire and in the data files (e.g. fit_gap, vendor_capacity).</summary>
public static class Wire
{
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => Names<TEnum>.ByValue.TryGetValue(value, out var name) ? name : Convert(value);

    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        if (text is not null && Names<TEnum>.ByName.TryGetValue(text, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    private static string Convert<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    // Views name thousands of enum values per second; converting each time (ToString plus the naming policy) showed up
    // as a large share of the web node's allocations under load.
    private static class Names<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly FrozenDictionary<TEnum, string> ByValue = Enum.GetValues<TEnum>().ToFrozenDictionary(v => v, Convert);

        public static readonly FrozenDictionary<string, TEnum> ByName = ByValue.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}

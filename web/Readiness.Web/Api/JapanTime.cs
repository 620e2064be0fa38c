using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Readiness.Web.Api;

/// <summary>
/// Dates and instants as the API takes them. An instant (<see cref="DateTimeOffset"/>, e.g. an API client's
/// <c>expiresAt</c>) is RFC 3339 with its offset (<c>2027-03-31T23:59:59+09:00</c>, <c>…Z</c>), or a date alone
/// (<c>2027-03-31</c>), which means the end of that day in Japan, 23:59:59.999 +09:00, as the dashboard's date fields
/// mean it. A date-time without an offset is refused: the same text would be another instant on another server.
/// </summary>
public static class JapanTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    /// <summary>The rule of <see cref="TryParseInstant"/> in words, for a refusal of a value that is neither form (the API's and the forms' alike).</summary>
    public const string InstantRuleJa = "日時は時差付きの RFC 3339（例 2027-03-31T23:59:59+09:00）か日付のみ（2027-03-31: その日の終わり、日本時間）で指定してください。";

    /// <inheritdoc cref="InstantRuleJa"/>
    public const string InstantRuleEn = "An instant is RFC 3339 with its offset (e.g. 2027-03-31T23:59:59+09:00) or a date alone (2027-03-31: the end of that day in Japan time).";

    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(now.ToOffset(Offset).DateTime);

    /// <summary>23:59:59.999 of <paramref name="day"/> at +09:00.</summary>
    public static DateTimeOffset EndOfDay(DateOnly day) => new(day.ToDateTime(new TimeOnly(23, 59, 59, 999)), Offset);

    /// <summary>The text as an instant under the rule above; false when it is neither form.</summary>
    public static bool TryParseInstant(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (text is null)
        {
            return false;
        }

        if (text.Length == 10 && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            instant = EndOfDay(day);
            return true;
        }

        // RFC 3339 §5.6: a full date, 'T', a time and an offset (Z or ±hh:mm); an offset-less time is not an instant.
        return text.Length > 19 && text[10] is 'T' or 't' && HasOffset(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
    }

    private static bool HasOffset(string text) =>
        text[^1] is 'Z' or 'z' || (text.Length >= 25 && text[^6] is '+' or '-' && text[^3] == ':');

    /// <summary>The request bodies' converter for <see cref="DateTimeOffset"/> (and, through System.Text.Json, its nullable).</summary>
    public sealed class InstantConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && TryParseInstant(reader.GetString(), out var instant)
                ? instant
                : throw new JsonException("An instant is RFC 3339 with an offset (2027-03-31T23:59:59+09:00) or a date (2027-03-31: the end of that day in Japan).");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}

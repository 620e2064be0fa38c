using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Readiness.Web.Api;

/// <summary>
/// How an /api query value is read and refused, one rule for every GET parameter: a value that is not of the
/// parameter's type (not an integer, not a date, not a cursor a page gave, not a code of its shape) is 400
/// <see cref="InvalidFormat"/> saying the form expected; a value of the right type outside its bounds is 400
/// <see cref="OutOfRange"/> saying the bounds; a value outside a closed set is 400 <c>unknown_value</c> listing the set
/// (<see cref="Problems.UnknownValue"/>). Each names the parameter, Japanese first. A breaker's finding: <c>?limit=abc</c>
/// was refused as out_of_range, which sends a client looking for a bound instead of its bug.
/// </summary>
public static class QueryValue
{
    /// <summary>
    /// A typed query parameter: how it is read (and refused) and what the API description declares for it
    /// (<see cref="OpenApi.QueryParameters.WithTypedQuery{TBuilder}"/>), from this one record, so the two cannot drift.
    /// A breaker's finding: ?limit= and ?from=/?to= were declared plain strings while the server refused all but an
    /// integer from 1 to 200 and a date.
    /// </summary>
    public abstract record Parameter(string Name);

    /// <summary>An integer from <paramref name="Min"/> to <paramref name="Max"/> (both taken), <paramref name="Default"/> when absent; declared <c>type: integer</c> with <c>minimum</c>, <c>maximum</c> and <c>default</c>.</summary>
    public sealed record IntegerParameter(string Name, int Min, int Max, int Default) : Parameter(Name)
    {
        /// <summary>The value, or the refusal (<see cref="Integer"/>).</summary>
        public ProblemHttpResult? Read(string? text, out int value) => Integer(Name, text, Min, Max, Default, out value);
    }

    /// <summary>A day, YYYY-MM-DD (a date that exists); declared <c>type: string, format: date</c>. Its default depends on the request (today, the other bound), so the reader is given it.</summary>
    public sealed record DayParameter(string Name) : Parameter(Name)
    {
        /// <summary>The day, or the refusal (<see cref="Day"/>).</summary>
        public ProblemHttpResult? Read(string? text, DateOnly fallback, out DateOnly day) => Day(Name, text, fallback, out day);
    }

    /// <summary>The code of a value that is not of its parameter's type.</summary>
    public const string InvalidFormat = "invalid_format";

    /// <summary>The code of a value of the right type outside its bounds.</summary>
    public const string OutOfRange = "out_of_range";

    /// <summary>The form of an integer, in Japanese and English (as the messages say it).</summary>
    public static readonly (string Ja, string En) IntegerForm = ("整数", "an integer");

    /// <summary>The form of a day: ISO 8601 YYYY-MM-DD, a day that exists.</summary>
    public static readonly (string Ja, string En) DayForm = ("YYYY-MM-DD 形式の日付", "a date, YYYY-MM-DD");

    /// <summary>The form of a paging cursor: a previous page's nextCursor, as given.</summary>
    public static readonly (string Ja, string En) CursorForm = ("前のページの nextCursor", "a previous page's nextCursor");

    /// <summary>The form of a prefecture code: two ASCII digits.</summary>
    public static readonly (string Ja, string En) PrefectureCodeForm = ("2桁の都道府県コード（01〜47）", "a two-digit prefecture code (01-47)");

    /// <summary>400 <see cref="InvalidFormat"/> naming <paramref name="name"/>: 「limit は整数で指定してください（「abc」は整数ではありません）。」</summary>
    public static ProblemHttpResult NotOfItsForm(string name, string value, (string Ja, string En) form) =>
        Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", [FormError(name, value, form)]);

    /// <summary>The fault of <see cref="NotOfItsForm"/>, for a caller that gathers its faults as <see cref="ProblemError"/>s.</summary>
    public static ProblemError FormError(string name, string value, (string Ja, string En) form) =>
        new(name, InvalidFormat,
            $"{name} は{form.Ja}で指定してください（「{Problems.Shown(value)}」は{form.Ja}ではありません）。",
            $"{name} must be {form.En}; '{Problems.Shown(value)}' is not one.");

    /// <summary>400 <see cref="OutOfRange"/> naming <paramref name="name"/>, with the bounds in words (「1〜200」 / "from 1 to 200").</summary>
    public static ProblemHttpResult Outside(string name, string value, string boundsJa, string boundsEn) =>
        Problems.BadRequest(name, OutOfRange,
            $"{name} は{boundsJa}で指定してください（「{Problems.Shown(value)}」は範囲外です）。",
            $"{name} must be {boundsEn}; '{Problems.Shown(value)}' is outside that.");

    /// <summary>
    /// An integer parameter from <paramref name="min"/> to <paramref name="max"/>: <paramref name="fallback"/> when
    /// absent; ASCII digits with an optional sign are an integer (one too long for 32 bits is out of range, not
    /// malformed); anything else (<c>abc</c>, <c>1.5</c>, full-width <c>１２</c>) is <see cref="InvalidFormat"/>.
    /// </summary>
    /// <returns>The refusal, or null with <paramref name="value"/> set.</returns>
    public static ProblemHttpResult? Integer(string name, string? text, int min, int max, int fallback, out int value)
    {
        value = fallback;
        if (text is null)
        {
            return null;
        }

        var digits = text.Length > 1 && text[0] is '-' or '+' ? text[1..] : text;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
        {
            return NotOfItsForm(name, text, IntegerForm);
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
        {
            var (low, high) = (min.ToString(CultureInfo.InvariantCulture), max.ToString(CultureInfo.InvariantCulture));
            return Outside(name, text, $"{low}〜{high}の整数", $"an integer from {low} to {high}");
        }

        value = parsed;
        return null;
    }

    /// <summary>A day parameter (YYYY-MM-DD, a day that exists): <paramref name="fallback"/> when absent or blank, else <see cref="InvalidFormat"/>.</summary>
    /// <returns>The refusal, or null with <paramref name="day"/> set.</returns>
    public static ProblemHttpResult? Day(string name, string? text, DateOnly fallback, out DateOnly day)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            day = fallback;
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day)
            ? null
            : NotOfItsForm(name, text, DayForm);
    }

    /// <summary>A cursor the page's own decoder did not read: <see cref="InvalidFormat"/>, asking for a previous page's nextCursor.</summary>
    public static ProblemHttpResult MalformedCursor(string text) => NotOfItsForm("cursor", text, CursorForm);

    /// <summary>
    /// A <c>?prefecture=</c> that is not two ASCII digits (<see cref="InvalidFormat"/>), else null: a code of the right
    /// shape that names no prefecture is the caller's <c>unknown_prefecture</c>.
    /// </summary>
    public static ProblemError? PrefectureCodeShape(string text) =>
        text.Length == 2 && text.All(char.IsAsciiDigit) ? null : FormError("prefecture", text, PrefectureCodeForm);
}

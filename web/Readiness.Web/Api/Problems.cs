using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;

namespace Readiness.Web.Api;

/// <summary>One fault in a problem details answer: the field, a stable code, and the message in Japanese and English.</summary>
public sealed record ProblemError(string Field, string Code, string MessageJa, string MessageEn);

/// <summary>RFC 9457 problem details that name the field at fault, in Japanese and English.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string field, string ja, string en) => Create(StatusCodes.Status404NotFound, "Not found", field, "not_found", ja, en);

    public static ProblemHttpResult BadRequest(string field, string ja, string en) => Create(StatusCodes.Status400BadRequest, "Invalid request", field, "invalid", ja, en);

    public static ProblemHttpResult BadRequest(string field, string code, string ja, string en) => Create(StatusCodes.Status400BadRequest, "Invalid request", field, code, ja, en);

    /// <summary>400 <c>unknown_value</c>: a query value outside its closed set, naming the parameter and listing the allowed values.</summary>
    public static ProblemHttpResult UnknownValue(string field, string value, IReadOnlyCollection<string> allowed) => BadRequest(field, "unknown_value",
        $"{field} に「{Shown(value)}」は指定できません（{string.Join("、", allowed)}）。", $"'{Shown(value)}' is not a value of {field} ({string.Join(", ", allowed)}).");

    public static ProblemHttpResult Create(int status, string title, string field, string ja, string en) => Create(status, title, field, "invalid", ja, en);

    public static ProblemHttpResult Create(int status, string title, string field, string code, string ja, string en) =>
        Create(status, title, [new ProblemError(field, code, ja, en)]);

    public static ProblemHttpResult Create(int status, string title, IReadOnlyList<ProblemError> errors) =>
        TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = errors.Count == 1
                ? $"{errors[0].MessageJa} / {errors[0].MessageEn}"
                // Each fault in both languages (the Japanese listed nothing, a breaker found): Japanese first, then English.
                : $"{errors.Count}件の誤りがあります：" + string.Join(" ", errors.Select(e => $"[{Escaped(e.Field)}] {e.MessageJa}"))
                    + $" / {errors.Count} problems: " + string.Join(" ", errors.Select(e => $"[{Escaped(e.Field)}] {e.MessageEn}")),
            Type = $"https://readiness.example/problems/{status}",
            Extensions =
            {
                ["errors"] = errors,
            },
        });

    /// <summary>
    /// A 403 for read-only credentials (<c>insufficient_scope</c>, whichever endpoint or policy made it) carries the
    /// challenge RFC 6750 §3.1 gives it, as the 401s carry theirs: a client library reads the scope it lacks from the
    /// header, not from our body. Every problem passes here (the ProblemDetails service writes them all). Only for a
    /// bearer credential: a viewer's cookie session has no token to widen.
    /// </summary>
    public static void ChallengeInsufficientScope(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status == StatusCodes.Status403Forbidden
            && context.HttpContext.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && context.ProblemDetails.Extensions.TryGetValue("errors", out var errors) && errors is IEnumerable<ProblemError> list
            && list.Any(e => e.Code == "insufficient_scope"))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate =
                "Bearer error=\"insufficient_scope\", error_description=\"The credentials are read-only\", scope=\"write\"";
        }
    }

    public static ProblemHttpResult FromValidation(int status, string title, IEnumerable<ValidationError> errors) =>
        Create(status, title, errors.Select(e => new ProblemError(e.Field, e.Code, e.MessageJa, e.MessageEn)).ToList());

    /// <summary>404 for a well-formed code that is not a municipality, 400 <c>invalid_path_value</c> for a malformed code or a wrong check digit (<see cref="PathValues"/>).</summary>
    public static ProblemHttpResult? CheckMunicipalityCode(string code)
    {
        if (PathValues.Check("/api/v1/municipalities/{code}", "code", code) is { } malformed)
        {
            return malformed;
        }

        return ReadinessCatalog.Instance.IsMunicipality(code)
            ? null
            : NotFound("code", $"団体コード「{code}」の市区町村はありません。", $"No municipality has the code '{code}'.");
    }

    /// <summary>
    /// Input as a refusal quotes it (inside 「」 or ''): at most 20 characters of it, cut with "…", and written by
    /// <see cref="Escaped"/>. A breaker's finding: a NUL, an ESC, CR/LF or U+202E sent in a query value, a body
    /// member's name, a header or a route value came back inside the message as it was, able to end a line or reorder
    /// the words around it.
    /// </summary>
    public static string Shown(string text) => Shown(text, 20);

    /// <summary>
    /// <see cref="Shown(string)"/> with room for <paramref name="most"/> characters: an identifier the person must
    /// recognise (an account's id, a GUID of 36) is shown whole.
    /// </summary>
    public static string Shown(string text, int most)
    {
        // Cut by input characters, never between the halves of a pair.
        var cut = text.Length <= most ? text : text[..(char.IsHighSurrogate(text[most - 1]) && char.IsLowSurrogate(text[most]) ? most - 1 : most)];
        return Escaped(cut) + (cut.Length < text.Length ? "…" : string.Empty);
    }

    /// <summary>
    /// A name the request sent (a query parameter's, a form field's) as a problem's <c>field</c>: escaped as
    /// <see cref="Escaped"/> and at most 64 characters (<see cref="Shown(string, int)"/>), so that a name of kilobytes
    /// is not answered back whole.
    /// </summary>
    public static string Named(string name) => Shown(name, 64);

    /// <summary>
    /// Input written so that it shows as text: control characters (NUL, ESC, CR, LF…), format characters (bidi
    /// overrides such as U+202E, zero-width characters), U+2028/U+2029 and lone surrogates as <c>\uXXXX</c>, a backslash
    /// as <c>\\</c> (so the escape cannot be forged); nothing cut. The same rule as the security log's
    /// (<see cref="Auth.SecurityLog.Printable"/>).
    /// </summary>
    public static string Escaped(string text) => Auth.SecurityLog.Printable(text, int.MaxValue) ?? string.Empty;
}

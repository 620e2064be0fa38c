using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Web.Api;

namespace Readiness.Web.Components;

/// <summary>
/// A page's query value it cannot use, said in the API's own words for the same value (400 naming the parameter:
/// <see cref="QueryValue.InvalidFormat"/>, <see cref="QueryValue.OutOfRange"/> or <c>unknown_value</c>), with the
/// page's address without it (a link the notice offers).
/// </summary>
/// <param name="Name">The query parameter refused.</param>
/// <param name="MessageJa">The API's refusal, in Japanese.</param>
/// <param name="MessageEn">The same in English.</param>
/// <param name="Without">The page's address with every other query value kept.</param>
/// <param name="ShownWithout">True when the page goes on to show itself without the value (a filter); false when it shows nothing (a page of rows).</param>
public sealed record QueryRefusal(string Name, string MessageJa, string MessageEn, string Without, bool ShownWithout)
{
    /// <summary>The first of <paramref name="values"/> (name, value, allowed) outside its set, else null; absent or empty values are fine.</summary>
    public static (string Name, string Value, IReadOnlyCollection<string> Allowed)? First(params (string Name, string? Value, IReadOnlyCollection<string> Allowed)[] values)
    {
        foreach (var (name, value, allowed) in values)
        {
            if (!string.IsNullOrEmpty(value) && !allowed.Contains(value, StringComparer.Ordinal))
            {
                return (name, value, allowed);
            }
        }

        return null;
    }

    /// <summary>
    /// The refusal of a value outside its set (the API's <c>unknown_value</c>): <paramref name="path"/> with the query
    /// string minus every parameter named <paramref name="name"/>; sets 400 on the response (the page itself still
    /// renders, without the value).
    /// </summary>
    public static QueryRefusal Of(HttpContext? http, string path, string name, string value, IReadOnlyCollection<string> allowed) =>
        Of(http, path, Problems.UnknownValue(name, value, allowed), shownWithout: true)!;

    /// <summary>
    /// The page's refusal from the API's refusal of the same query (<paramref name="refused"/>, a 400 problem naming
    /// the parameter; null gives null): its first error's words, and <paramref name="path"/> without that parameter;
    /// sets 400 on the response.
    /// </summary>
    public static QueryRefusal? Of(HttpContext? http, string path, IResult? refused, bool shownWithout)
    {
        if (refused is not ProblemHttpResult { ProblemDetails.Extensions: var extensions }
            || !extensions.TryGetValue("errors", out var errors) || errors is not IReadOnlyList<ProblemError> { Count: > 0 } list)
        {
            return null;
        }

        var error = list[0];
        var kept = http is null ? [] : http.Request.Query.Where(p => p.Key != error.Field).SelectMany(p => p.Value.Select(v => (p.Key, Value: v ?? string.Empty))).ToList();
        var without = path + (kept.Count == 0 ? string.Empty : "?" + string.Join('&', kept.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));
        if (http is not null)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        return new QueryRefusal(error.Field, error.MessageJa, error.MessageEn, without, shownWithout);
    }
}

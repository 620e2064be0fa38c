namespace Readiness.Web.Components;

/// <summary>
/// A page's query parameter whose value is outside its set, as the API refuses it (400 <c>unknown_value</c>): its
/// name, the value given, the values allowed, and the page's address without it (a link the notice offers).
/// </summary>
public sealed record QueryRefusal(string Name, string Value, IReadOnlyCollection<string> Allowed, string Without)
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
    /// The refusal for the request's query: <paramref name="path"/> with the query string minus every parameter named
    /// <paramref name="name"/>; sets 400 on the response (the page itself still renders, without the value).
    /// </summary>
    public static QueryRefusal Of(HttpContext? http, string path, string name, string value, IReadOnlyCollection<string> allowed)
    {
        var kept = http is null ? [] : http.Request.Query.Where(p => p.Key != name).SelectMany(p => p.Value.Select(v => (p.Key, Value: v ?? string.Empty))).ToList();
        var without = path + (kept.Count == 0 ? string.Empty : "?" + string.Join('&', kept.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));
        if (http is not null)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        return new QueryRefusal(name, value, allowed, without);
    }
}

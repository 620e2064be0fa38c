namespace Readiness.Web.Components;

/// <summary>
/// What a page that answers 404 for an identifier it does not know wants the not-found page to say: the message in
/// Japanese and English and where to go back to. A 404 is rendered by the dashboard's one not-found page (Blazor and the
/// status pages replace the page's own body), so the page leaves its reason in the request's items for that page.
/// </summary>
public sealed record NotFoundReason(string Ja, string En, string Back, string BackJa, string BackEn)
{
    private static readonly object Key = new();

    /// <summary>Sets 404 on the response and leaves <paramref name="reason"/> for the not-found page.</summary>
    public static void Answer(HttpContext? http, NotFoundReason reason)
    {
        if (http is not null)
        {
            http.Items[Key] = reason;
            http.Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }

    /// <summary>The reason a page left for this request, if any.</summary>
    public static NotFoundReason? Of(HttpContext? http) => http?.Items.TryGetValue(Key, out var value) == true ? value as NotFoundReason : null;
}

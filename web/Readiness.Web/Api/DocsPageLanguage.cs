using System.Text;
using Readiness.Web.Components;

namespace Readiness.Web.Api;

/// <summary>
/// The API's documentation page (/api/docs, Scalar's) in the page language (<see cref="LanguageSwitch.Current"/>: its
/// <c>?language=</c>, else the cookie, else Japanese), as every dashboard page is: its title in that language
/// (<see cref="Title"/>) and <c>&lt;html lang="ja|en"&gt;</c> (Scalar writes a bare <c>&lt;html&gt;</c>: screen readers and
/// fonts then guess the language). A breaker's finding (round 48).
/// </summary>
public static class DocsPageLanguage
{
    /// <summary>The page's title in <paramref name="language"/> ("en", else Japanese).</summary>
    public static string Title(string language) => language == "en"
        ? "Readiness API — standardization and government cloud migration"
        : "Readiness API — 標準化・ガバメントクラウド移行状況";

    /// <summary>An endpoint filter: the endpoint's answer, an HTML page's <c>&lt;html&gt;</c> given the page language's <c>lang</c>.</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var answer = await next(context);
        return answer is IResult page ? new WithLanguage(page) : answer;
    }

    private sealed class WithLanguage(IResult page) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            // The page is a few KB, written once: buffered, its root element given lang, then sent.
            var body = http.Response.Body;
            using var buffer = new MemoryStream();
            http.Response.Body = buffer;
            try
            {
                await page.ExecuteAsync(http);
            }
            finally
            {
                http.Response.Body = body;
            }

            var bytes = buffer.ToArray();
            if (http.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
            {
                var html = Encoding.UTF8.GetString(bytes);
                var at = html.IndexOf("<html>", StringComparison.OrdinalIgnoreCase);
                if (at >= 0)
                {
                    bytes = Encoding.UTF8.GetBytes(string.Concat(html.AsSpan(0, at), $"<html lang=\"{LanguageSwitch.Current(http)}\">", html.AsSpan(at + "<html>".Length)));
                    http.Response.ContentLength = bytes.Length;
                }
            }

            await body.WriteAsync(bytes, http.RequestAborted);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// Waiting for a document, asked of the page itself. Playwright .NET's <c>WaitForLoadStateAsync</c> first looks at the
/// load states it has been told of and then subscribes to the next one; its messages arrive on another thread, so on a
/// busy machine the "load" of a document that commits between the two steps is missed and the wait times out (CI:
/// the Excel upload waited 30 s after "NetworkIdle event fired"). Polling <c>document.readyState</c> in the page has
/// no such gap, and marking the old document tells a new one from it. <c>WaitForURLAsync</c> waits for "load" the same
/// way and missed it the same way (CI: the keyboard test waited 30 s for "/" to load), so a URL is waited for by
/// polling too (<see cref="WaitForUrlAsync(IPage, string, float)"/>).
/// </summary>
public static class PageLoad
{
    /// <summary>Waits until the current document and its scripts, styles and images have loaded.</summary>
    public static Task CompleteAsync(this IPage page) =>
        page.WaitForFunctionAsync("() => document.readyState === 'complete'");

    /// <summary>
    /// Waits until the page is at a URL matching <paramref name="glob"/> (Playwright's: <c>**</c> any characters,
    /// <c>*</c> any but "/", everything else literal) and that document has loaded; at once if it already is. The
    /// default timeout is the longest the pages here set for themselves: a wait only lasts that long when it fails.
    /// </summary>
    public static Task WaitForUrlAsync(this IPage page, string glob, float timeoutMs = 120_000) =>
        page.WaitForUrlAsync(UrlPattern(glob).IsMatch, timeoutMs, glob);

    /// <summary>Playwright's URL glob as a whole-string regular expression.</summary>
    public static Regex UrlPattern(string glob)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            if (glob[i] != '*')
            {
                pattern.Append(Regex.Escape(glob[i].ToString()));
            }
            else if (i + 1 < glob.Length && glob[i + 1] == '*')
            {
                pattern.Append(".*");
                i++;
            }
            else
            {
                pattern.Append("[^/]*");
            }
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    /// <summary>As <see cref="WaitForUrlAsync(IPage, string, float)"/>, for a URL that <paramref name="matches"/>.</summary>
    public static async Task WaitForUrlAsync(this IPage page, Func<string, bool> matches, float timeoutMs = 120_000, string? described = null)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (matches(page.Url))
            {
                try
                {
                    if (await page.EvaluateAsync<bool>("() => document.readyState === 'complete'") && matches(page.Url))
                    {
                        return;
                    }
                }
                catch (PlaywrightException)
                {
                    // the document was being replaced: ask the next one
                }
            }

            if (waited.ElapsedMilliseconds > timeoutMs)
            {
                throw new TimeoutException($"Waited {timeoutMs:0} ms for a loaded document at {described ?? "a matching URL"}; the page is at {page.Url}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> (a form submission or a link), which must replace the document, and waits until
    /// the new document has loaded. Answers the first response to the navigation (for a POST answered 303, the 303).
    /// </summary>
    public static async Task<IResponse> NavigateAsync(this IPage page, Func<Task> action)
    {
        await page.EvaluateAsync("() => { window.__readinessOldDocument = true; }");
        IResponse? response = null;
        try
        {
            response = await page.RunAndWaitForResponseAsync(action, r => r.Request.IsNavigationRequest && r.Request.Frame == page.MainFrame);
            // Retried in each new execution context until the old document is gone and the new one has loaded.
            await page.WaitForFunctionAsync("() => !window.__readinessOldDocument && document.readyState === 'complete'");
            return response;
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(response is null
                ? $"The action on {page.Url} sent no navigation (a form the browser refused to submit, or a script that kept the page)."
                : $"The action on {page.Url} was answered {response.Status} for {response.Url}, but no new document finished loading.", ex);
        }
    }

    /// <summary>
    /// Runs axe-core (WCAG 2.1 A/AA) on the loaded page, once every choropleth has replaced its "loading" placeholder
    /// with the map (or says it could not load it); prints one line and adds each violation to <paramref name="found"/>.
    /// </summary>
    public static async Task AxeCheckAsync(this IPage page, string name, ICollection<string> found, ITestOutputHelper output)
    {
        await page.CompleteAsync();
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-map]')].every(m => m.querySelector('svg') || !m.querySelector('[data-map-loading]') || /could not|読み込めません/.test(m.textContent))");
        var result = await page.RunAxe(AccessibilityTests.Wcag21AA());
        var nodes = result.Violations.Sum(v => v.Nodes.Length);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"axe WCAG 2.1 A/AA: {result.Violations.Length} rules violated, {nodes} elements, {result.Passes.Length} rules passed — {name} ({new Uri(page.Url).PathAndQuery})"));
        foreach (var violation in result.Violations)
        {
            var where = string.Join(" | ", violation.Nodes.Take(3).Select(n => $"{n.Target} {n.Html}"));
            found.Add($"{name}: {violation.Id} ({violation.Impact}) × {violation.Nodes.Length}: {violation.Help}. e.g. {where}");
        }
    }
}

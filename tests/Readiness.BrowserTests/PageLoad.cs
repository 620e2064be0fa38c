using System.Globalization;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// Waiting for a document, asked of the page itself. Playwright .NET's <c>WaitForLoadStateAsync</c> first looks at the
/// load states it has been told of and then subscribes to the next one; its messages arrive on another thread, so on a
/// busy machine the "load" of a document that commits between the two steps is missed and the wait times out (CI:
/// the Excel upload waited 30 s after "NetworkIdle event fired"). Polling <c>document.readyState</c> in the page has
/// no such gap, and marking the old document tells a new one from it.
/// </summary>
public static class PageLoad
{
    /// <summary>Waits until the current document and its scripts, styles and images have loaded.</summary>
    public static Task CompleteAsync(this IPage page) =>
        page.WaitForFunctionAsync("() => document.readyState === 'complete'");

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

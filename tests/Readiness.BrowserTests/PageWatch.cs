using Microsoft.Playwright;

namespace Readiness.BrowserTests;

/// <summary>Collects what a page reports as broken: console errors, uncaught exceptions, failed same-origin requests.</summary>
public sealed class PageWatch
{
    private readonly List<string> problems = [];

    private PageWatch(IPage page, Uri origin)
    {
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (problems)
                {
                    problems.Add($"console error on {page.Url}: {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (problems)
            {
                problems.Add($"uncaught error on {page.Url}: {error}");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && new Uri(response.Url).Authority == origin.Authority)
            {
                lock (problems)
                {
                    problems.Add($"HTTP {response.Status} for {response.Url}");
                }
            }
        };
        page.RequestFailed += (_, request) =>
        {
            // An event stream cut by navigation is expected; anything else is not.
            if (!request.Url.Contains("/api/v1/stream", StringComparison.Ordinal))
            {
                lock (problems)
                {
                    problems.Add($"request failed: {request.Url} ({request.Failure})");
                }
            }
        };
    }

    public static PageWatch Attach(IPage page, Uri origin) => new(page, origin);

    public void AssertClean()
    {
        lock (problems)
        {
            Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        }
    }
}

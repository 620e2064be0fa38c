using Microsoft.Playwright;

namespace Readiness.BrowserTests;

/// <summary>Collects what a page reports as broken: console errors, uncaught exceptions, failed same-origin requests.</summary>
public sealed class PageWatch
{
    private readonly List<string> problems = [];
    private readonly List<(int Status, string Path)> expected = [];

    private PageWatch(IPage page, Uri origin)
    {
        page.Console += (_, message) =>
        {
            // Chromium reports a 4xx document as "Failed to load resource"; a refusal the test provokes on purpose is not a fault.
            if (message.Type == "error" && !(message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal) && IsExpected(StatusIn(message.Text), new Uri(page.Url).AbsolutePath)))
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
            if (response.Status >= 400 && new Uri(response.Url).Authority == origin.Authority && !IsExpected(response.Status, new Uri(response.Url).AbsolutePath))
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

    /// <summary>A status the test provokes on purpose for this path (a 403 page, a form sent back with its errors).</summary>
    public PageWatch Expect(int status, string path)
    {
        lock (problems)
        {
            expected.Add((status, path));
        }

        return this;
    }

    private bool IsExpected(int status, string path)
    {
        lock (problems)
        {
            return expected.Contains((status, path));
        }
    }

    private static int StatusIn(string text)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text, "status of ([0-9]{3})");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    public void AssertClean()
    {
        lock (problems)
        {
            Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        }
    }
}

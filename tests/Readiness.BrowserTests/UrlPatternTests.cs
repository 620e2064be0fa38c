namespace Readiness.BrowserTests;

/// <summary>The URL globs the browser tests wait for (<see cref="PageLoad.UrlPattern"/>), read as Playwright reads them.</summary>
public sealed class UrlPatternTests
{
    [Theory]
    [InlineData("**/municipalities/131016?saved=*", "http://127.0.0.1:5000/municipalities/131016?saved=12&target=koseki", true)]
    [InlineData("**/municipalities/131016?saved=*", "http://127.0.0.1:5000/municipalities/131016", false)]
    [InlineData("**/municipalities/131016?saved=*", "http://127.0.0.1:5000/municipalities/1310169?saved=1", false)]
    [InlineData("**/signin?*", "http://127.0.0.1:5000/signin?ReturnUrl=%2F", true)]
    [InlineData("**/signin?*", "http://127.0.0.1:5000/signinXReturnUrl", false)]   // "?" is literal
    [InlineData("**/imports/*", "http://127.0.0.1:5000/imports/abc123", true)]
    [InlineData("**/imports/*", "http://127.0.0.1:5000/imports/abc/def", false)]   // "*" stops at "/"
    [InlineData("**/account/mfa**", "http://127.0.0.1:5000/account/mfa/setup?x=1", true)]
    [InlineData("http://127.0.0.1:5000/", "http://127.0.0.1:5000/", true)]          // no wildcard: the whole URL
    [InlineData("http://127.0.0.1:5000/", "http://127.0.0.1:5000/prefectures/13", false)]
    public void A_glob_matches_as_playwright_reads_it(string glob, string url, bool matches) =>
        Assert.Equal(matches, PageLoad.UrlPattern(glob).IsMatch(url));
}

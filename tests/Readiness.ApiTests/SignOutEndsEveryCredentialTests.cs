using System.Net;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Sign-out ends every way the browser was signed in: a development token cookie kept from before the sign-out (a
/// copy, another tab's jar, a replay) no longer signs anyone in, as the account cookie's ended session does not.
/// </summary>
public sealed class SignOutEndsEveryCredentialTests(WarmApiHost host) : IClassFixture<WarmApiHost>
{
    [Fact]
    public async Task A_token_cookie_kept_from_before_sign_out_is_refused_afterwards()
    {
        var jar = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using (var signIn = await browser.PostAsync("/auth/local/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = host.Token(Role.Municipality, ApiHost.Chuo, "signout.kind"), ["returnUrl"] = "/" })))
        {
            Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        }

        var kept = jar.GetCookies(host.BaseAddress)[AuthSetup.CookieName]?.Value;
        Assert.False(string.IsNullOrEmpty(kept));

        using (var before = await Replay(kept))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var signOut = await browser.PostAsync("/auth/signout", null);
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);

        // The same cookie value, sent again after the sign-out: nobody (before the fix, still the municipality's staff).
        using var after = await Replay(kept);
        await ApiHost.AssertProblem(after, HttpStatusCode.Unauthorized);
    }

    private async Task<HttpResponseMessage> Replay(string? cookie)
    {
        using var client = host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/municipalities/{ApiHost.Chuo}");
        request.Headers.Add("Cookie", $"{AuthSetup.CookieName}={cookie}");
        return await client.SendAsync(request);
    }
}

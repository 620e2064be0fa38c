using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>The product configured with <see cref="TestIdentityProvider"/> as its external OpenID Connect provider.</summary>
public sealed class FederationHost : AccountHost
{
    public TestIdentityProvider Idp { get; private set; } = null!;

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:Identity:Oidc:Authority"] = Idp.Authority.ToString();
        settings["Readiness:Identity:Oidc:ClientId"] = TestIdentityProvider.ClientId;
        settings["Readiness:Identity:Oidc:ClientSecret"] = TestIdentityProvider.ClientSecret;
        settings["Readiness:Identity:Oidc:DisplayName"] = "テストIdP";
        settings["Readiness:Identity:Oidc:RequireHttpsMetadata"] = "false";
        return settings;
    }

    public override async Task InitializeAsync()
    {
        Idp = await TestIdentityProvider.StartAsync();
        await base.InitializeAsync();
        await Idp.RegisterClientAsync(new Uri(BaseAddress, "/signin-oidc"));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Idp.DisposeAsync();
    }
}

/// <summary>
/// Sign-in through an external OpenID Connect provider (a real OpenIddict server on Kestrel), driven over HTTP as a
/// browser would: the sign-in page's button, the provider's authorization endpoint, the code exchange with PKCE, the
/// callback. Linked by verified e-mail the first time, by the login afterwards; unlinked and unverified identities
/// are refused with nothing created; the provider's amr=mfa stands in for the second factor.
/// </summary>
public sealed class FederationTests(FederationHost host) : IClassFixture<FederationHost>
{
    private const string AdminEmail = "fed-admin@digital.go.jp";

    [Fact]
    public async Task A_verified_email_links_the_invited_account_and_later_sign_ins_use_the_login()
    {
        await EnsureAdministratorAsync();
        await UnlinkAsync(AdminEmail);
        using var browser = new FormClient(host.BaseAddress);
        var (_, signInPage) = await browser.GetAsync("/signin");
        Assert.Contains("テストIdP でサインイン", signInPage, StringComparison.Ordinal);

        host.Idp.User = new("idp-admin-1", AdminEmail, EmailVerified: true, Mfa: true);
        var (status, html, location) = await SignInThroughIdpAsync(browser, "/account");
        Assert.True(status == HttpStatusCode.OK, $"callback: {status} {html}");
        Assert.Equal("/account", location);
        var (accountStatus, account) = await browser.GetAsync("/account");
        Assert.Equal(HttpStatusCode.OK, accountStatus);
        Assert.Contains($"data-account=\"{AdminEmail}\"", account, StringComparison.Ordinal);
        var me = await browser.Http.GetFromJsonAsync<JsonElement>("/auth/me");
        Assert.Equal("admin", me.GetProperty("role").GetString()); // the product's assignment, not the provider's

        var login = await LoginsAsync(AdminEmail);
        Assert.Equal([$"{FederationOptions.Scheme}:idp-admin-1"], login);
        await host.WithDbAsync(async db => Assert.True(await db.AdminLog.AnyAsync(e => e.Action == "link_external_login" && e.TargetSubject == AdminEmail)));

        // Thereafter by the login: the provider may report another (even unverified) e-mail for the same subject.
        using var again = new FormClient(host.BaseAddress);
        host.Idp.User = new("idp-admin-1", "renamed@elsewhere.example", EmailVerified: false, Mfa: true);
        var (againStatus, _, againLocation) = await SignInThroughIdpAsync(again, "/account");
        Assert.Equal(HttpStatusCode.OK, againStatus);
        Assert.Equal("/account", againLocation);
        Assert.Contains($"data-account=\"{AdminEmail}\"", (await again.GetAsync("/account")).Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_mfa_from_the_provider_the_products_own_second_factor_is_asked_for()
    {
        await EnsureAdministratorAsync();
        using var browser = new FormClient(host.BaseAddress);
        host.Idp.User = new("idp-admin-2fa", AdminEmail, EmailVerified: true, Mfa: false);
        await UnlinkAsync(AdminEmail); // this test links its own subject
        var (status, _, location) = await SignInThroughIdpAsync(browser, "/account");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("/signin/mfa", location, StringComparison.Ordinal); // the administrator has an authenticator app
        var me = await browser.Http.GetFromJsonAsync<JsonElement>("/auth/me");
        Assert.False(me.GetProperty("authenticated").GetBoolean());
    }

    [Fact]
    public async Task A_person_who_needs_mfa_and_has_none_is_signed_in_only_when_the_provider_asserts_mfa()
    {
        var (admin, _) = await EnsureAdministratorAsync();
        const string email = "fed-pref@pref.tokyo.lg.jp";
        var invited = await Accounts.InviteAsync(admin!, email, "prefecture_administrator", "13");
        using (var invitee = new FormClient(host.BaseAddress))
        {
            Assert.Equal(HttpStatusCode.SeeOther, (await Accounts.AcceptAsync(invitee, Accounts.LinkOf(invited))).Status);
        }

        using var withoutMfa = new FormClient(host.BaseAddress);
        host.Idp.User = new("idp-pref-1", email, EmailVerified: true, Mfa: false);
        var (_, _, pending) = await SignInThroughIdpAsync(withoutMfa, "/prefectures/13");
        Assert.StartsWith("/account/mfa", pending, StringComparison.Ordinal); // must enrol first
        Assert.False((await withoutMfa.Http.GetFromJsonAsync<JsonElement>("/auth/me")).GetProperty("authenticated").GetBoolean());

        using var withMfa = new FormClient(host.BaseAddress);
        host.Idp.User = new("idp-pref-1", email, EmailVerified: true, Mfa: true);
        var (_, _, landed) = await SignInThroughIdpAsync(withMfa, "/prefectures/13");
        Assert.Equal("/prefectures/13", landed);
        var me = await withMfa.Http.GetFromJsonAsync<JsonElement>("/auth/me");
        Assert.Equal("prefecture", me.GetProperty("role").GetString());
        Assert.Equal("13", me.GetProperty("tenant").GetString());
    }

    /// <summary>
    /// Signing in through the provider in a browser signed in as someone else ends that person's session (its record
    /// too), as every sign-in route does. Failed before: the provider's person was signed in over the other one, whose
    /// session record stayed open (listed on their /account as a session that no browser held any more).
    /// </summary>
    [Fact]
    public async Task Signing_in_through_the_provider_over_another_persons_session_ends_it()
    {
        var (admin, _) = await EnsureAdministratorAsync();
        const string first = "fed-first@digital.go.jp";
        const string second = "fed-second@digital.go.jp";
        using var browser = new FormClient(host.BaseAddress);
        Assert.Equal("/", (await Accounts.AcceptAsync(browser, Accounts.LinkOf(await Accounts.InviteAsync(admin!, first, "national_staff", null)))).Location);
        using (var invitee = new FormClient(host.BaseAddress))
        {
            Assert.Equal("/", (await Accounts.AcceptAsync(invitee, Accounts.LinkOf(await Accounts.InviteAsync(admin!, second, "national_staff", null)))).Location);
        }

        var firstId = await host.UserIdAsync(first);
        host.Idp.User = new("idp-second-1", second, EmailVerified: true, Mfa: true);
        var (status, html, location) = await SignInThroughIdpAsync(browser, "/");
        Assert.True(status == HttpStatusCode.OK, $"callback: {status} {html}");
        Assert.Equal("/", location);
        Assert.Equal(second, (await browser.Http.GetFromJsonAsync<JsonElement>("/auth/me")).GetProperty("subject").GetString());
        await host.WithDbAsync(async db => Assert.Equal(0, await db.Sessions.CountAsync(x => x.UserId == firstId && x.EndedAtUtc == null)));
    }

    [Theory]
    [InlineData("idp-stranger", "stranger@example.jp", true, "no_account")]
    [InlineData("idp-impostor", AdminEmail, false, "email_unverified")]
    [InlineData(" idp-admin-padded ", AdminEmail, true, "invalid_subject")] // not "idp-admin-padded", yet shows as it
    [InlineData("idp-admin\u3164", AdminEmail, true, "invalid_subject")] // a character that displays as nothing
    [InlineData("idp-admin\nlinked", AdminEmail, true, "invalid_subject")] // a line break would forge a line of the administration log
    public async Task An_unlinked_or_unverified_identity_is_refused_and_nothing_is_created(string subject, string email, bool verified, string reason)
    {
        await EnsureAdministratorAsync();
        var before = await CountsAsync();
        using var browser = new FormClient(host.BaseAddress);
        host.Idp.User = new(subject, email, verified, Mfa: true);
        var (status, html, _) = await SignInThroughIdpAsync(browser, "/account");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains($"data-federation-refused=\"{reason}\"", html, StringComparison.Ordinal);
        Assert.Contains("サインインできません", html, StringComparison.Ordinal);
        Assert.Contains("アカウントは作成されていません", html, StringComparison.Ordinal);
        Assert.False((await browser.Http.GetFromJsonAsync<JsonElement>("/auth/me")).GetProperty("authenticated").GetBoolean());
        Assert.Equal(before, await CountsAsync());
        Assert.DoesNotContain($"{FederationOptions.Scheme}:{subject}", await LoginsAsync(AdminEmail));
    }

    private static readonly SemaphoreSlim SetupGate = new(1, 1);
    private static FormClient? administrator;

    private async Task<(FormClient? Admin, string? Key)> EnsureAdministratorAsync()
    {
        await SetupGate.WaitAsync();
        try
        {
            administrator ??= (await Accounts.SetUpAdministratorAsync(host, AdminEmail)).Client;
            return (administrator, null);
        }
        finally
        {
            SetupGate.Release();
        }
    }

    /// <summary>
    /// Presses the sign-in page's button and follows the redirects through the provider and back (across both hosts,
    /// cookies kept) to the product's answer; for the "continue" page, also where it moves on to.
    /// </summary>
    private async Task<(HttpStatusCode Status, string Html, string? Continue)> SignInThroughIdpAsync(FormClient browser, string returnUrl)
    {
        var answer = await browser.PostAsync($"/signin?returnUrl={Uri.EscapeDataString(returnUrl)}", FederationEndpoints.ChallengePath, new Dictionary<string, string> { ["returnUrl"] = returnUrl });
        Assert.True(answer.Status == HttpStatusCode.Redirect, $"challenge: {answer.Status}");
        var url = new Uri(answer.Location!);
        Assert.StartsWith(host.Idp.Authority.ToString(), url.ToString(), StringComparison.Ordinal);
        Assert.Contains("code_challenge_method=S256", url.Query, StringComparison.Ordinal);
        for (var hop = 0; hop < 10; hop++)
        {
            using var response = await browser.Http.GetAsync(url);
            if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.Found)
            {
                url = new Uri(url, response.Headers.Location!);
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            var next = Regex.Match(html, "<a href=\"([^\"]*)\" data-continue") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
            return (response.StatusCode, html, next);
        }

        throw new InvalidOperationException("too many redirects");
    }

    private async Task<int[]> CountsAsync()
    {
        var counts = Array.Empty<int>();
        await host.WithDbAsync(async db => counts = [await db.Users.CountAsync(), await db.UserLogins.CountAsync()]);
        return counts;
    }

    private async Task<List<string>> LoginsAsync(string email)
    {
        var logins = new List<string>();
        await host.WithDbAsync(async db =>
        {
            var id = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
            logins = await db.UserLogins.Where(l => l.UserId == id).Select(l => l.LoginProvider + ":" + l.ProviderKey).ToListAsync();
        });
        return logins;
    }

    private Task UnlinkAsync(string email) =>
        host.WithDbAsync(async db =>
        {
            var id = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
            await db.UserLogins.Where(l => l.UserId == id).ExecuteDeleteAsync();
        });
}

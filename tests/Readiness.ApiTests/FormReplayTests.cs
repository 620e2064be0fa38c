using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A reload of a page that answered a form post ("Resubmit": the same antiforgery token, the same fields) does
/// nothing again (breaker's findings): a replayed secret rotation leaves the secret just shown working, a replayed
/// client creation creates one client, a replayed invitation or reset link issues nothing, each with one admin-log
/// row, and the replay is sent back with form_replayed (ja/en). Every answer showing a secret or a one-time link has
/// Cache-Control: no-store. Every other form post endpoint answers 303 (or refuses, 4xx), or is listed here with why not.
/// Real accounts (setup, invitations, second factor) on a real Kestrel host, no SMTP.
/// </summary>
public sealed class FormReplayTests(AccountHost host) : IClassFixture<AccountHost>, IAsyncLifetime
{
    /// <summary>The form posts whose success answer is a 200 page showing a secret or a one-time link, and why.</summary>
    private static readonly Dictionary<string, string> ShownOnce = new()
    {
        ["/admin/clients/new"] = "shows the new client's secret once",
        ["/admin/clients/{clientId}/secret"] = "shows the new secret once",
        ["/admin/invitations"] = "shows the invitation link without SMTP",
        ["/admin/users/{id}/password-reset"] = "shows the reset link without SMTP",
        ["/account/mfa/enable"] = "shows the recovery codes once",
        ["/account/recovery-codes"] = "shows the new recovery codes once",
    };

    /// <summary>Form posts that answer neither a 303 nor a shown-once page, and why.</summary>
    private static readonly Dictionary<string, string> Other = new()
    {
        ["/account/passkeys/options"] = "script fetch: answers the WebAuthn options as JSON (changes nothing)",
        ["/account/signin/passkey/options"] = "script fetch: answers the WebAuthn options as JSON (changes nothing)",
    };

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static FormClient? admin;

    public async Task InitializeAsync()
    {
        await Once.WaitAsync();
        try
        {
            admin ??= (await Accounts.SetUpAdministratorAsync(host, "replay.admin@digital.go.jp")).Client;
        }
        finally
        {
            Once.Release();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_replayed_secret_rotation_leaves_the_secret_just_shown_working()
    {
        var (clientId, _) = await CreateAsync($"replay rotate {Guid.NewGuid():N}"[..24]);
        var (first, replay) = await PostTwiceAsync("/admin/clients", $"/admin/clients/{clientId}/secret", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var secret = SecretOf(first.Html);
        Assert.Contains("no-store", first.CacheControl ?? string.Empty, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.SeeOther, replay.Status);
        Assert.Equal("form_replayed", replay.Error);
        Assert.DoesNotContain("data-client-secret", replay.Html, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(await host.ClientTokenAsync(clientId, secret, "write")));
        await host.WithDbAsync(async db => Assert.Equal(1, await db.AdminLog.CountAsync(e => e.Action == "rotate_api_client_secret" && e.TargetSubject == clientId)));

        // The page it is sent back to says so in both languages.
        var (_, page) = await admin!.GetAsync(replay.Location!);
        Assert.Contains("data-error=\"form_replayed\"", page, StringComparison.Ordinal);
        Assert.Contains("このフォームはすでに送信され", page, StringComparison.Ordinal);
        Assert.Contains("This form was already sent", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replayed_client_creation_creates_one_client()
    {
        var name = $"replay create {Guid.NewGuid():N}"[..24];
        var (first, replay) = await PostTwiceAsync("/admin/clients", "/admin/clients/new", new Dictionary<string, string> { ["name"] = name, ["tenant"] = ApiHost.Chiyoda, ["scope"] = "write" });
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Contains("no-store", first.CacheControl ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.SeeOther, replay.Status);
        Assert.Equal("form_replayed", replay.Error);
        await host.WithDbAsync(async db => Assert.Equal(1, await db.AdminLog.CountAsync(e => e.Action == "create_api_client" && e.After!.Contains(name))));
        var (_, page) = await admin!.GetAsync("/admin/clients");
        Assert.Single(Regex.Matches(page, Regex.Escape(name)));
    }

    [Fact]
    public async Task A_replayed_invitation_and_reset_link_issue_nothing_again_and_the_links_are_not_stored()
    {
        var email = $"replay.{Guid.NewGuid():N}"[..20] + "@digital.go.jp";
        var (invited, replayedInvitation) = await PostTwiceAsync("/admin/users", "/admin/invitations", new Dictionary<string, string> { ["email"] = email, ["role"] = "prefecture_administrator", ["tenant"] = "27" });
        Assert.Equal(HttpStatusCode.OK, invited.Status);
        Assert.Contains("no-store", invited.CacheControl ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal("form_replayed", replayedInvitation.Error);
        await host.WithDbAsync(async db => Assert.Equal(1, await db.AdminLog.CountAsync(e => e.Action == "invite" && e.TargetSubject == email)));

        var invitee = new FormClient(host.BaseAddress);
        await Accounts.AcceptAsync(invitee, Accounts.LinkOf(new FormAnswer(invited.Status, null, invited.Html)));
        var id = await host.UserIdAsync(email);
        var (issued, replayedReset) = await PostTwiceAsync("/admin/users", $"/admin/users/{id}/password-reset", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, issued.Status);
        Assert.Contains("no-store", issued.CacheControl ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal("form_replayed", replayedReset.Error);
        await host.WithDbAsync(async db => Assert.Equal(1, await db.AdminLog.CountAsync(e => e.Action == "issue_password_reset" && e.TargetSubject == email)));
    }

    [Fact]
    public async Task Replayed_recovery_codes_leave_the_codes_just_shown_valid()
    {
        var (first, replay) = await PostTwiceAsync("/account", "/account/recovery-codes", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Contains("no-store", first.CacheControl ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal("form_replayed", replay.Error);
    }

    [Fact]
    public async Task Every_form_post_endpoint_answers_303_or_is_listed_with_its_reason()
    {
        var forms = FormEndpoints.Patterns(host.Services, pages: false);
        Assert.Contains("/admin/clients/{clientId}/secret", forms);

        // A listed shown-once endpoint is one this class replays (each fact above), so a new one needs a test.
        var unknown = ShownOnce.Keys.Concat(Other.Keys).Except(forms).ToList();
        Assert.True(unknown.Count == 0, "listed but not an endpoint: " + string.Join(", ", unknown));

        // Every other form post, sent as a signed-in administrator with a valid token and no fields, answers 303 or
        // refuses (4xx, nothing changed), never a 200 page a reload would send again.
        var failures = new List<string>();
        foreach (var pattern in forms.Except(ShownOnce.Keys).Except(Other.Keys))
        {
            var path = RouteValues.Fill(pattern);
            var (_, html) = await admin!.GetAsync("/account");
            var token = Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
            using var response = await admin.Http.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
            if (response.StatusCode != HttpStatusCode.SeeOther && (int)response.StatusCode is < 400 or >= 500)
            {
                failures.Add($"{pattern}: {(int)response.StatusCode}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private async Task<(string ClientId, string Secret)> CreateAsync(string name)
    {
        var created = await admin!.PostAsync("/admin/clients", "/admin/clients/new", new Dictionary<string, string> { ["name"] = name, ["tenant"] = ApiHost.Chiyoda, ["scope"] = "write" });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        var clientId = Regex.Match(created.Html, "data-client-id[^>]*>([^<]+)<").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(clientId), "no client id on the answer");
        return (WebUtility.HtmlDecode(clientId), SecretOf(created.Html));
    }

    private static string SecretOf(string html)
    {
        var secret = Regex.Match(html, "data-client-secret[^>]*>([^<]+)<").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(secret), "no secret on the answer");
        return WebUtility.HtmlDecode(secret);
    }

    /// <summary>Opens the page, takes its antiforgery token and posts the same form twice (what a reload of the answer does).</summary>
    private static async Task<(Answer First, Answer Replay)> PostTwiceAsync(string page, string action, IDictionary<string, string> fields)
    {
        var (_, html) = await admin!.GetAsync(page);
        var token = Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), $"no form with an antiforgery token on {page}");
        var body = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token };
        return (await PostAsync(action, body), await PostAsync(action, body));
    }

    private static async Task<Answer> PostAsync(string action, Dictionary<string, string> body)
    {
        using var response = await admin!.Http.PostAsync(action, new FormUrlEncodedContent(body));
        return new Answer(response.StatusCode, response.Headers.Location?.OriginalString, response.Headers.CacheControl?.ToString(), await response.Content.ReadAsStringAsync());
    }

    private sealed record Answer(HttpStatusCode Status, string? Location, string? CacheControl, string Html)
    {
        public string? Error => Location is null ? null : Regex.Match(Location, "[?&]error=([a-z_]+)") is { Success: true } m ? m.Groups[1].Value : null;
    }
}

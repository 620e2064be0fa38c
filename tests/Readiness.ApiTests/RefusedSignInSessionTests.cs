using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A refused sign-in of any kind leaves the browser's current session as it was (breaker's finding: a password
/// sign-in refused with passkey_required, for an account whose second factor is its passkey, signed the person
/// already signed in on that browser out). Real accounts on a real Kestrel host.
/// </summary>
public sealed class RefusedSignInSessionTests(AccountHost host) : IClassFixture<AccountHost>
{
    [Fact]
    public async Task A_refused_sign_in_of_any_kind_leaves_the_person_signed_in_here_signed_in()
    {
        var (admin, _) = await Accounts.SetUpAdministratorAsync(host, "keep.admin@digital.go.jp");

        // An administrator whose second factor is a passkey (no authenticator app).
        const string PasskeyOnly = "passkey.only@metro.tokyo.lg.jp";
        using (var invitee = new FormClient(host.BaseAddress))
        {
            var link = Accounts.LinkOf(await Accounts.InviteAsync(admin, PasskeyOnly, "prefecture_administrator", "13"));
            Assert.Equal(HttpStatusCode.SeeOther, (await Accounts.AcceptAsync(invitee, link)).Status);
        }

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ReadinessUser>>();
            var user = (await users.FindByEmailAsync(PasskeyOnly))!;
            var passkey = new UserPasskeyInfo([1, 2, 3, 9], [5, 6, 7], DateTimeOffset.UtcNow, 0, ["internal"], isUserVerified: true, isBackupEligible: false, isBackedUp: false, attestationObject: [8], clientDataJson: [9]) { Name = "庁舎のPC" };
            Assert.True((await users.AddOrUpdatePasskeyAsync(user, passkey)).Succeeded);
        }

        var refusals = new (string Email, string Password, string Error)[]
        {
            (PasskeyOnly, AccountHost.Password, "passkey_required"),
            (PasskeyOnly, "wrong password entirely", "invalid_credentials"),
            ("nobody@example.jp", AccountHost.Password, "invalid_credentials"),
        };
        foreach (var (email, password, error) in refusals)
        {
            var refused = await admin.SignInAsync(email, password);
            Assert.True(refused.Error == error, $"{email}: {refused.Status} {refused.Location}");
            Assert.True(await Accounts.SignedInAsync(admin), $"the administrator was signed out by a sign-in refused with {error}");
            var (status, _) = await admin.GetAsync("/admin/users");
            Assert.Equal(HttpStatusCode.OK, status);
        }
    }
}

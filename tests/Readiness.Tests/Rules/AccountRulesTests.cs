using Readiness.Catalog;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.Tests.Rules;

/// <summary>The tenant rules of accounts (who maps to which API role, who needs MFA, who may give which role), directly.</summary>
public sealed class AccountRulesTests
{
    [Theory]
    [InlineData(AccountRole.SystemAdministrator, Role.Admin, true)]
    [InlineData(AccountRole.NationalStaff, Role.National, false)]
    [InlineData(AccountRole.PrefectureAdministrator, Role.Prefecture, true)]
    [InlineData(AccountRole.PrefectureStaff, Role.Prefecture, false)]
    [InlineData(AccountRole.MunicipalityAdministrator, Role.Municipality, true)]
    [InlineData(AccountRole.MunicipalityReporter, Role.Municipality, true)]
    [InlineData(AccountRole.MunicipalityViewer, Role.Municipality, false)]
    public void Each_account_role_acts_as_an_API_role_and_writers_and_administrators_need_MFA(AccountRole role, Role api, bool mfa)
    {
        Assert.Equal(api, AccountRules.ApiRole(role));
        Assert.Equal(mfa, AccountRules.RequiresMfa(role));
        Assert.True(AccountRules.TryParse(AccountRules.Name(role), out var parsed));
        Assert.Equal(role, parsed);
        Assert.Equal(role == AccountRole.MunicipalityViewer, AccountRules.IsReadOnly(role));
    }

    [Theory]
    [InlineData(AccountRole.SystemAdministrator, null, AccountRole.NationalStaff, null, true)]
    [InlineData(AccountRole.SystemAdministrator, null, AccountRole.PrefectureAdministrator, "13", true)]
    [InlineData(AccountRole.SystemAdministrator, null, AccountRole.PrefectureAdministrator, "48", false)]
    [InlineData(AccountRole.SystemAdministrator, null, AccountRole.NationalStaff, "13", false)]
    [InlineData(AccountRole.SystemAdministrator, null, AccountRole.MunicipalityReporter, "131016", false)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.MunicipalityAdministrator, "131016", true)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.MunicipalityAdministrator, "271004", false)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.PrefectureStaff, "13", true)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.PrefectureStaff, "27", false)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.PrefectureAdministrator, "13", false)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.MunicipalityReporter, "131016", false)]
    [InlineData(AccountRole.MunicipalityAdministrator, "131016", AccountRole.MunicipalityReporter, "131016", true)]
    [InlineData(AccountRole.MunicipalityAdministrator, "131016", AccountRole.MunicipalityViewer, "131016", true)]
    [InlineData(AccountRole.MunicipalityAdministrator, "131016", AccountRole.MunicipalityReporter, "131024", false)]
    [InlineData(AccountRole.MunicipalityAdministrator, "131016", AccountRole.MunicipalityAdministrator, "131016", false)]
    [InlineData(AccountRole.MunicipalityReporter, "131016", AccountRole.MunicipalityViewer, "131016", false)]
    [InlineData(AccountRole.NationalStaff, null, AccountRole.NationalStaff, null, false)]
    [InlineData(AccountRole.MunicipalityAdministrator, "131016", AccountRole.MunicipalityReporter, "131017", false)]
    public void Administrators_give_only_the_roles_and_tenants_below_them(AccountRole actor, string? actorTenant, AccountRole role, string? tenant, bool allowed) =>
        Assert.Equal(allowed, AccountRules.CanAssign(actor, actorTenant, role, tenant));

    [Theory]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.MunicipalityReporter, "131016", true)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.PrefectureAdministrator, "13", false)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.MunicipalityReporter, "271004", false)]
    [InlineData(AccountRole.PrefectureAdministrator, "13", AccountRole.NationalStaff, null, false)]
    [InlineData(AccountRole.MunicipalityAdministrator, "131016", AccountRole.MunicipalityViewer, "131016", true)]
    [InlineData(AccountRole.MunicipalityAdministrator, "131016", AccountRole.MunicipalityAdministrator, "131016", false)]
    [InlineData(AccountRole.MunicipalityAdministrator, "131016", AccountRole.MunicipalityViewer, "131024", false)]
    [InlineData(AccountRole.SystemAdministrator, null, AccountRole.MunicipalityViewer, "271004", true)]
    [InlineData(AccountRole.MunicipalityReporter, "131016", AccountRole.MunicipalityViewer, "131016", false)]
    public void Administrators_manage_only_accounts_below_them_in_their_tenant(AccountRole actor, string? actorTenant, AccountRole target, string? tenant, bool allowed) =>
        Assert.Equal(allowed, AccountRules.CanManage(actor, actorTenant, target, tenant));

    [Theory]
    [InlineData("password1234", true)]
    [InlineData("PASSWORD1234", true)]
    [InlineData("aaaaaaaaaaaaaaaa", true)]
    [InlineData("abababababab", true)]
    [InlineData("345678901234", true)]
    [InlineData("長い合言葉 correct horse battery", false)]
    [InlineData("tr0ub4dor&3-staple", false)]
    public void Common_and_trivial_passwords_are_recognised(string password, bool common) =>
        Assert.Equal(common, CommonPasswordValidator.IsCommon(password));

    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    [InlineData(80_000, false)]
    public async Task A_password_longer_than_256_characters_is_refused(int length, bool taken)
    {
        // A phrase, not one character repeated (that is refused as common).
        var password = string.Concat(Enumerable.Repeat("長い合言葉 correct horse ", (length / 20) + 1))[..length];
        var result = await new CommonPasswordValidator().ValidateAsync(null!, new ReadinessUser { Email = "tanaka@city.example.lg.jp" }, password);
        Assert.Equal(taken, result.Succeeded);
        if (!taken)
        {
            Assert.Equal("password_too_long", Assert.Single(result.Errors).Code);
        }
    }
}

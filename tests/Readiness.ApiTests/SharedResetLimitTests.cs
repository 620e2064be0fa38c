using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The reset mail limit (3 an hour per account) is counted in the identity database: two web nodes on one database
/// send 3 mails between them, not 3 each; one node still sends 3 and refuses the 4th (logged).
/// </summary>
public sealed class SharedResetLimitTests(MailAccountHost host) : IClassFixture<MailAccountHost>
{
    private const string ResetSubject = "Reset your password";

    [Fact]
    public async Task Two_web_nodes_on_one_database_send_three_reset_mails_an_hour_between_them()
    {
        const string email = "shared.limit@metro.tokyo.lg.jp";
        await CreateAccountAsync(email);
        await using var other = MailAccountHost.NodeBeside(host);
        await other.InitializeAsync();

        foreach (var node in new AccountHost[] { host, other, host, other, other })
        {
            await AskAsync(node, email);
        }

        await WaitForLoggedAsync(email, 5);
        Assert.Equal(3, host.MailsTo(email, ResetSubject) + other.MailsTo(email, ResetSubject));
        await host.WithDbAsync(async db => Assert.Equal(2, await db.AdminLog.CountAsync(e =>
            e.Action == "request_password_reset" && e.TargetSubject == email && e.After!.StartsWith("refused: more than 3"))));
    }

    [Fact]
    public async Task One_node_sends_three_reset_mails_an_hour_and_refuses_the_fourth()
    {
        const string email = "one.node.limit@metro.tokyo.lg.jp";
        await CreateAccountAsync(email);
        for (var i = 0; i < 4; i++)
        {
            await AskAsync(host, email);
        }

        await WaitForLoggedAsync(email, 4);
        Assert.Equal(3, host.MailsTo(email, ResetSubject));
        await host.WithDbAsync(async db => Assert.Equal(1, await db.AdminLog.CountAsync(e =>
            e.Action == "request_password_reset" && e.TargetSubject == email && e.After!.StartsWith("refused: more than 3"))));
    }

    private async Task CreateAccountAsync(string email)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ReadinessUser>>();
        var user = new ReadinessUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "上限 確認", AccountRole = AccountRole.PrefectureStaff, Tenant = "13", CreatedAtUtc = DateTime.UtcNow };
        Assert.True((await users.CreateAsync(user, AccountHost.Password)).Succeeded);
    }

    private static async Task AskAsync(AccountHost node, string email)
    {
        using var browser = new FormClient(node.BaseAddress);
        var asked = await browser.PostAsync("/password/forgot", "/account/password/forgot", new Dictionary<string, string> { ["email"] = email });
        Assert.Equal(HttpStatusCode.SeeOther, asked.Status);
    }

    /// <summary>Until every request has been handled (each leaves one log entry), then a moment for the last mail to arrive.</summary>
    private async Task WaitForLoggedAsync(string email, int entries)
    {
        for (var i = 0; i < 600; i++)
        {
            var logged = 0;
            await host.WithDbAsync(async db => logged = await db.AdminLog.CountAsync(e => e.Action == "request_password_reset" && e.TargetSubject == email));
            if (logged >= entries)
            {
                await Task.Delay(500);
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"fewer than {entries} reset requests for {email} were handled");
    }
}

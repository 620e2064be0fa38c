using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Readiness.Web.Identity;

/// <summary>
/// Mails password reset links after the request has been answered. The form's answer is the same for every address and
/// takes the same time: whether an account exists, is deactivated, or is past its hourly mail limit is looked up here,
/// off the request (a lookup, a token and an SMTP conversation only for real accounts would otherwise show in the
/// response time). The link's address is <see cref="ServerSite"/>, never the request's Host. The hourly limit per account
/// is counted in the identity database (<see cref="AccountCounters"/>), so it holds across every web node.
/// </summary>
public sealed class PasswordResetMailer(
    IServiceScopeFactory scopes, IServer server, IOptions<AccountOptions> options, TimeProvider time, ILogger<PasswordResetMailer> logger) : BackgroundService
{
    /// <summary>Requests waiting to be handled; when full (a flood) the newest are dropped, the answer stays the same.</summary>
    public const int QueueLength = 1000;

    private readonly Channel<(string Email, string? Client)> queue = Channel.CreateBounded<(string, string?)>(
        new BoundedChannelOptions(QueueLength) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>The <see cref="AccountCounters"/> key prefix of an account's reset mails (followed by the user id).</summary>
    public const string CounterKey = "password_reset_mail:";

    /// <summary>Queues a reset for <paramref name="email"/> (already normalized); returns at once, whatever the address.</summary>
    public void Enqueue(string email, string? client) => queue.Writer.TryWrite((email, client));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (email, client) in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await HandleAsync(email, client, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Password reset for {Email} failed", email);
            }
        }
    }

    private async Task HandleAsync(string email, string? client, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ReadinessUser>>();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var mail = scope.ServiceProvider.GetRequiredService<AccountMail>();
        var counters = scope.ServiceProvider.GetRequiredService<AccountCounters>();
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            return; // nobody to tell; the asker was answered as for a real account
        }

        if (!user.Active)
        {
            await accounts.LogAsync(email, null, null, "request_password_reset", email, user.Tenant, null, "refused: account deactivated (no mail)", client, cancellationToken);
            return;
        }

        if (!await counters.TryCountAsync(CounterKey + user.Id, options.Value.PasswordResetMailsPerHour, TimeSpan.FromHours(1), cancellationToken))
        {
            await accounts.LogAsync(email, null, null, "request_password_reset", email, user.Tenant, null,
                $"refused: more than {options.Value.PasswordResetMailsPerHour} reset mails this hour (no mail)", client, cancellationToken);
            return;
        }

        var token = await users.GeneratePasswordResetTokenAsync(user);
        var expires = time.GetUtcNow().UtcDateTime + options.Value.PasswordResetLifetime;
        var link = AccountService.ResetLink(ServerSite.Of(server, options.Value), user.Id, token);
        var secondFactor = user.TwoFactorEnabled || await AccountClaimsFactory.HasPasskeyAsync(users, user);
        var mailed = await mail.SendPasswordResetAsync(email, link, expires, secondFactor, cancellationToken);
        await accounts.LogAsync(email, null, null, "request_password_reset", email, user.Tenant, null,
            mailed ? $"link mailed, valid until {expires:O}" : "the mail could not be sent", client, cancellationToken);
    }
}

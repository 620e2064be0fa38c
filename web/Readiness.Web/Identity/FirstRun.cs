using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Readiness.Web.Identity;

/// <summary>
/// First run: when nobody has an account yet, prints a one-time setup link (valid for
/// <see cref="AccountOptions.SetupLinkLifetime"/>, default an hour) to the console once the server listens. The link
/// creates the first system administrator and is then dead. No default password, no account created silently.
/// A restart on a still-empty store prints a new link and withdraws the old one.
/// </summary>
public sealed class FirstRunAnnouncer(
    IServiceScopeFactory scopes, IHostApplicationLifetime lifetime, IServer server, IOptions<AccountOptions> options, ILoggerFactory loggers) : IHostedService
{
    /// <summary>The log category of the setup notice (which says the link was printed, never the link).</summary>
    public const string Category = "Readiness.Setup";

    private readonly ILogger logger = loggers.CreateLogger(Category);

    /// <summary>The link last printed (tests read it here, as an operator reads the console).</summary>
    public Uri? Link { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(AnnounceAsync));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task AnnounceAsync()
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            var setup = await accounts.NewSetupSecretAsync(lifetime.ApplicationStopping);
            if (setup is not { } s)
            {
                return;
            }

            var link = new Uri(SiteAddress(), "/setup?token=" + s.Secret);
            var until = Components.UiText.DateTimeJst(new DateTimeOffset(s.ExpiresAtUtc, TimeSpan.Zero));
            Console.WriteLine();
            Console.WriteLine("==================================================================================");
            Console.WriteLine(" 初回セットアップ / First-run setup");
            Console.WriteLine(" 最初のシステム管理者を作成するには、次のリンクを開いてください（1回限り、" + until + " まで有効）:");
            Console.WriteLine(" Open this link to create the first system administrator (works once, valid until " + until + "):");
            Console.WriteLine();
            Console.WriteLine(" " + link);
            Console.WriteLine("==================================================================================");
            Console.WriteLine();
            // The link is a credential: on the console only. A log is shipped, kept and read by others.
            Link = link;
            logger.LogWarning("First-run setup link printed to the console (single use, valid until {Until}); restart to print a new one", until);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not create the first-run setup link; restart to try again");
        }
    }

    private Uri SiteAddress() => ServerSite.Of(server, options.Value);
}

/// <summary>The site's address for links made outside a request (the console's setup link, mailed reset links).</summary>
public static class ServerSite
{
    /// <summary>
    /// Readiness:Auth:PublicUrl, else the first address the server listens on; never a request's Host header, which
    /// anyone can set (a reset link to the asker's own host would hand them the victim's token).
    /// </summary>
    public static Uri Of(IServer server, AccountOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.PublicUrl))
        {
            return new Uri(options.PublicUrl);
        }

        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault() ?? "http://localhost:5000";
        return new Uri(address.Replace("://[::]", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
    }
}

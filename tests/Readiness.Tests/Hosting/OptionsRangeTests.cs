using Microsoft.Extensions.Configuration;
using Readiness.Hosting;
using Readiness.Web.Auth;
using Readiness.Web.Planning;
using Readiness.Web.Summaries;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// Times and counts that make no sense at zero or less refuse the start (OptionsProblems.ValidateProblemsOnStart), each
/// message naming the setting and its value; the defaults pass.
/// </summary>
public sealed class OptionsRangeTests
{
    private static readonly TimeSpan Negative = TimeSpan.FromSeconds(-1);

    [Fact]
    public void The_defaults_have_no_problems()
    {
        Assert.Empty(new ReadinessOptions().Problems());
        Assert.Empty(new GrainCallOptions().Problems());
        Assert.Empty(new SummaryCacheOptions().Problems());
        Assert.Empty(new PlanningOptions().Problems());
        Assert.Empty(new ReadinessAuthOptions().Problems());
    }

    [Fact]
    public void Readiness_intervals_and_backups()
    {
        AssertOne(new ReadinessOptions { ReconcileInterval = TimeSpan.Zero }.Problems(), "Readiness:ReconcileInterval = 00:00:00");
        AssertOne(new ReadinessOptions { StorageLockTimeout = Negative }.Problems(), "Readiness:StorageLockTimeout = -00:00:01");
        AssertOne(new ReadinessOptions { MinimumFreeBytes = -1 }.Problems(), "Readiness:MinimumFreeBytes = -1");
        AssertOne(new ReadinessOptions { Backup = new() { Retain = 0 } }.Problems(), "Readiness:Backup:Retain = 0");
        AssertOne(new ReadinessOptions { Backup = new() { Interval = Negative } }.Problems(), "Readiness:Backup:Interval = -00:00:01");

        // No interval, or zero, is "no scheduled backups" as documented.
        Assert.Empty(new ReadinessOptions { Backup = new() { Interval = TimeSpan.Zero } }.Problems());
        Assert.Empty(new ReadinessOptions { MinimumFreeBytes = 0 }.Problems());
    }

    [Fact]
    public void Grain_call_timeouts_attempts_and_backoffs()
    {
        AssertOne(new GrainCallOptions { AttemptTimeout = TimeSpan.Zero }.Problems(), "Readiness:GrainCalls:AttemptTimeout = 00:00:00");
        AssertOne(new GrainCallOptions { AttemptTimeoutAfterSiloLoss = TimeSpan.Zero }.Problems(), "Readiness:GrainCalls:AttemptTimeoutAfterSiloLoss = 00:00:00");
        AssertOne(new GrainCallOptions { Deadline = Negative }.Problems(), "Readiness:GrainCalls:Deadline = -00:00:01");
        AssertOne(new GrainCallOptions { MaxAttempts = 0 }.Problems(), "Readiness:GrainCalls:MaxAttempts = 0");
        AssertOne(new GrainCallOptions { FirstBackoff = Negative }.Problems(), "Readiness:GrainCalls:FirstBackoff = -00:00:01");
        AssertOne(new GrainCallOptions { MaxBackoff = Negative }.Problems(), "Readiness:GrainCalls:MaxBackoff = -00:00:01");
        Assert.Empty(new GrainCallOptions { FirstBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero }.Problems()); // retry at once
    }

    [Theory]
    [InlineData(nameof(SummaryCacheOptions.PollInterval))]
    [InlineData(nameof(SummaryCacheOptions.FullRefreshInterval))]
    [InlineData(nameof(SummaryCacheOptions.HeartbeatInterval))]
    [InlineData(nameof(SummaryCacheOptions.TrendRefreshInterval))]
    [InlineData(nameof(SummaryCacheOptions.CallTimeout))]
    public void Summary_intervals(string name)
    {
        var options = new SummaryCacheOptions();
        typeof(SummaryCacheOptions).GetProperty(name)!.SetValue(options, TimeSpan.Zero);
        AssertOne(options.Problems(), $"Readiness:Summaries:{name} = 00:00:00");
    }

    [Fact]
    public void Planning_trials_ages_and_checks()
    {
        AssertOne(new PlanningOptions { Trials = 0 }.Problems(), "Readiness:Planning:Trials = 0");
        AssertOne(new PlanningOptions { MaxAgeMinutes = 0 }.Problems(), "Readiness:Planning:MaxAgeMinutes = 0");
        AssertOne(new PlanningOptions { KeepFirstCheckMinutes = -1 }.Problems(), "Readiness:Planning:KeepFirstCheckMinutes = -1");
        AssertOne(new PlanningOptions { KeepCheckMinutes = 0 }.Problems(), "Readiness:Planning:KeepCheckMinutes = 0");
        AssertOne(new PlanningOptions { UnreadableRecheckSeconds = -0.5 }.Problems(), "Readiness:Planning:UnreadableRecheckSeconds = -0.5");
        Assert.Empty(new PlanningOptions { UnreadableRecheckSeconds = 0 }.Problems()); // ask again every time (a test setting)
    }

    [Fact]
    public void Auth_revalidation_and_token_reuse()
    {
        AssertOne(new ReadinessAuthOptions { RevalidationInterval = Negative }.Problems(), "Readiness:Auth:RevalidationInterval = -00:00:01");
        AssertOne(new ReadinessAuthOptions { ValidatedTokenReuse = Negative }.Problems(), "Readiness:Auth:ValidatedTokenReuse = -00:00:01");
        Assert.Empty(new ReadinessAuthOptions { RevalidationInterval = TimeSpan.Zero, ValidatedTokenReuse = TimeSpan.Zero }.Problems()); // check every time
    }

    [Fact]
    public void Auth_authority_a_library_refuses_later_and_a_short_signing_key()
    {
        // Taken at start before, then every bearer request failed with a 500 ("Authority must use HTTPS").
        AssertOne(new ReadinessAuthOptions { Authority = "http://idp.example.lg.jp" }.Problems(), "Readiness:Auth:Authority = 'http://idp.example.lg.jp'");
        AssertOne(new ReadinessAuthOptions { Authority = "idp.example.lg.jp" }.Problems(), "Readiness:Auth:Authority = 'idp.example.lg.jp'");
        AssertOne(new ReadinessAuthOptions { Authority = "ftp://idp.example.lg.jp" }.Problems(), "Readiness:Auth:Authority = 'ftp://idp.example.lg.jp'");
        Assert.Empty(new ReadinessAuthOptions { Authority = "http://localhost:8080/realms/r", RequireHttpsMetadata = false }.Problems()); // development
        Assert.Empty(new ReadinessAuthOptions { Authority = "https://idp.example.lg.jp/realms/r" }.Problems());

        // The key itself is never printed.
        AssertOne(new ReadinessAuthOptions { SigningKey = "c2hvcnQ=" }.Problems(), "Readiness:Auth:SigningKey");
        AssertOne(new ReadinessAuthOptions { SigningKey = "not base64!" }.Problems(), "Readiness:Auth:SigningKey");
        Assert.DoesNotContain("c2hvcnQ=", string.Concat(new ReadinessAuthOptions { SigningKey = "c2hvcnQ=" }.Problems()), StringComparison.Ordinal);
        Assert.Empty(new ReadinessAuthOptions { SigningKey = Convert.ToBase64String(new byte[32]) }.Problems());
    }

    [Fact]
    public void Federation_authority_and_callback_path_and_the_login_path()
    {
        var on = new Readiness.Web.Identity.FederationOptions { Authority = "http://idp.example.lg.jp", ClientId = "readiness" };
        AssertOne(on.Problems(), "Readiness:Identity:Oidc:Authority = 'http://idp.example.lg.jp'");
        on.Authority = "https://idp.example.lg.jp";
        on.CallbackPath = "signin-oidc";
        AssertOne(on.Problems(), "Readiness:Identity:Oidc:CallbackPath = 'signin-oidc'");
        Assert.Empty(new Readiness.Web.Identity.FederationOptions { Authority = "http://idp", ClientId = "r", RequireHttpsMetadata = false }.Problems());
        Assert.Empty(new Readiness.Web.Identity.FederationOptions { Authority = "http://idp" }.Problems()); // off without ClientId
        AssertOne(new ReadinessAuthOptions { LoginPath = "signin" }.Problems(), "Readiness:Auth:LoginPath = 'signin'");
    }

    [Fact]
    public void Proxy_forward_limit_and_addresses()
    {
        // -1 was taken and failed every request (OverflowException in ForwardedHeadersMiddleware).
        AssertOne(new Readiness.Web.ProxyOptions { KnownProxies = "10.0.0.5", ForwardLimit = -1 }.Problems(), "Readiness:Proxy:ForwardLimit = -1");
        AssertOne(new Readiness.Web.ProxyOptions { ForwardLimit = 0 }.Problems(), "Readiness:Proxy:ForwardLimit = 0");
        AssertOne(new Readiness.Web.ProxyOptions { KnownProxies = "10.0.0.5,proxy.lg.jp" }.Problems(), "Readiness:Proxy:KnownProxies");
        AssertOne(new Readiness.Web.ProxyOptions { KnownNetworks = "10.0.0.0/99" }.Problems(), "Readiness:Proxy:KnownNetworks");
        Assert.Empty(new Readiness.Web.ProxyOptions().Problems());
        Assert.Empty(new Readiness.Web.ProxyOptions { KnownProxies = "10.0.0.5", KnownNetworks = "10.1.0.0/16", ForwardLimit = 2 }.Problems());
    }

    [Fact]
    public void Silo_and_gateway_ports_out_of_range_or_the_same()
    {
        // 70000 was refused by IPEndPoint ("Specified argument was out of the range"), naming no setting.
        AssertOne(new ReadinessOptions { SiloPort = 70000 }.Problems(), "Readiness:SiloPort = 70000");
        AssertOne(new ReadinessOptions { GatewayPort = -1 }.Problems(), "Readiness:GatewayPort = -1");
        AssertOne(new ReadinessOptions { SiloPort = 30000, GatewayPort = 30000 }.Problems(), "Readiness:GatewayPort = 30000");
        Assert.Empty(new ReadinessOptions { SiloPort = 0, GatewayPort = 0 }.Problems()); // the system picks each

        // IPAddress.Parse refused it while the cluster silo was configured, in English, naming no setting.
        AssertOne(new ReadinessOptions { AdvertisedAddress = "silo-1.local" }.Problems(), "Readiness:AdvertisedAddress = 'silo-1.local'");
        Assert.Empty(new ReadinessOptions { AdvertisedAddress = "10.0.0.11" }.Problems());
        var refused = Assert.Throws<InvalidOperationException>(() => ListenPorts.EnsureFree(System.Net.IPAddress.Loopback, ("Readiness:SiloPort", 70000)));
        Assert.StartsWith("Readiness:SiloPort = 70000: ", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_commands_run_the_checks_the_server_starts_with()
    {
        // One path: a misspelt name and a value out of range refuse a command as they refuse the server.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Readiness:DataPth"] = "/tmp/x",
            ["Readiness:Proxy:ForwardLimit"] = "-1",
        }).Build();
        using var error = new StringWriter();
        Assert.Equal(StartRefusal.ExitCode, Readiness.Web.ConfigurationChecks.Refusal(configuration, error));
        Assert.Contains("did you mean Readiness:DataPath?", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("Readiness:Proxy:ForwardLimit = -1", error.ToString(), StringComparison.Ordinal);
        Assert.Null(Readiness.Web.ConfigurationChecks.Refusal(new ConfigurationBuilder().Build(), error));
    }

    [Theory]
    [InlineData("Readiness:Notifications:MaxAttempts", "0", "Readiness:Notifications:MaxAttempts = 0: 1 以上を指定してください / must be at least 1.")]
    [InlineData("Readiness:Notifications:NationalOverdueThresholds", "1000,lots", "Readiness:Notifications:NationalOverdueThresholds = '1000,lots': 数をカンマ区切りで")]
    [InlineData("Readiness:Webhooks:AllowedNetworks", "garbage", "Readiness:Webhooks:AllowedNetworks = 'garbage': CIDR 形式の範囲をカンマ区切りで")]
    [InlineData("Readiness:Webhooks:Proxy", "https://proxy.example.lg.jp", "Readiness:Webhooks:Proxy = 'https://proxy.example.lg.jp': 送信用プロキシの")]
    [InlineData("Readiness:Metrics:AllowedNetworks", "10.0.0.0/8,localhost", "Readiness:Metrics:AllowedNetworks = 'localhost': CIDR 形式の")]
    [InlineData("Readiness:Health:Details", "Nobody", "Readiness:Health:Details = 'Nobody': Local, Everyone のいずれかを指定してください / must be one of Local, Everyone.")]
    [InlineData("Readiness:Auth:SessionRevalidation", "00:02:00", "Readiness:Auth:SessionRevalidation = 00:02:00: 0 より長く 00:01:00 以下の時間")]
    [InlineData("Readiness:Proxy:ForwardLimit", "abc", "Readiness:Proxy:ForwardLimit = 'abc': 整数を指定してください / must be a whole number.")]
    [InlineData("Readiness:Clients:RequireHttps", "yes", "Readiness:Clients:RequireHttps = 'yes': true か false を指定してください / must be true or false.")]
    public void The_commands_run_every_check_the_server_runs_each_said_in_Japanese_then_English(string key, string value, string said)
    {
        // Before, the notification, webhook, health and metrics settings were checked by the server's own registrations
        // only (English), and a value the binder could not convert ended the check with its English exception.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        using var error = new StringWriter();
        Assert.Equal(StartRefusal.ExitCode, Readiness.Web.ConfigurationChecks.Refusal(configuration, error));
        Assert.StartsWith("起動できません / Cannot start: " + said, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Notification_webhook_and_account_defaults_pass_and_each_problem_names_its_setting()
    {
        Assert.Empty(new Readiness.Web.Notifications.NotificationOptions().Problems());
        Assert.Empty(new Readiness.Web.Notifications.WebhookOptions().Problems());
        Assert.Empty(new Readiness.Web.Identity.AccountOptions().Problems());
        Assert.Empty(new MetricsOptions().Problems());
        AssertOne(new Readiness.Web.Notifications.NotificationOptions { Lease = TimeSpan.Zero }.Problems(), "Readiness:Notifications:Lease = 00:00:00");
        AssertOne(new Readiness.Web.Notifications.NotificationOptions { RetryCap = TimeSpan.FromSeconds(1) }.Problems(), "Readiness:Notifications:RetryCap = 00:00:01");
        AssertOne(new Readiness.Web.Notifications.NotificationOptions { PollInterval = Negative }.Problems(), "Readiness:Notifications:PollInterval = -00:00:01");
        AssertOne(new Readiness.Web.Identity.AccountOptions { SessionRevalidation = TimeSpan.Zero }.Problems(), "Readiness:Auth:SessionRevalidation = 00:00:00");
    }

    private static void AssertOne(IEnumerable<string> problems, string named)
    {
        var problem = Assert.Single(problems);
        Assert.StartsWith(named + ": ", problem, StringComparison.Ordinal);
    }
}

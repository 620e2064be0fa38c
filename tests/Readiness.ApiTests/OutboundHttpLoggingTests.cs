using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using Readiness.Testing;

namespace Readiness.ApiTests;

/// <summary>
/// The product's shipped logging settings (web and silo appsettings.json) keep the HTTP client factory's per-request
/// lines out: before, each failed webhook attempt wrote six Information entries with a ~20-line stack trace each (the
/// logical and the primary handler, for each of Polly's three tries), ~3,000 lines within minutes for one receiver that
/// was down (a tester's finding). The dispatcher's one Warning line per attempt, naming the cause, is what stays.
/// </summary>
public sealed class OutboundHttpLoggingTests
{
    [Theory]
    [InlineData("web/Readiness.Web/appsettings.json")]
    [InlineData("silo/Readiness.Silo/appsettings.json")]
    public void Outbound_http_requests_log_nothing_below_a_warning_and_the_dispatchers_warning_stays(string settingsFile)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(RepositoryFolder.Root, settingsFile)).Build();
        using var services = new ServiceCollection().AddLogging(l => l.AddConfiguration(configuration.GetSection("Logging")).AddProvider(new Probe())).BuildServiceProvider();
        var factory = services.GetRequiredService<ILoggerFactory>();

        // Every client the factory makes logs under System.Net.Http.HttpClient.{name}.{handler}: webhooks, OpenID Connect.
        foreach (var category in new[]
        {
            "System.Net.Http.HttpClient.readiness-webhooks.LogicalHandler", "System.Net.Http.HttpClient.readiness-webhooks.ClientHandler",
            "System.Net.Http.HttpClient.OpenIddict.Client.SystemNetHttp:oidc.LogicalHandler",
        })
        {
            Assert.False(factory.CreateLogger(category).IsEnabled(LogLevel.Information), $"{settingsFile}: {category} logs Information");
            Assert.True(factory.CreateLogger(category).IsEnabled(LogLevel.Warning), $"{settingsFile}: {category} drops warnings");
        }

        Assert.True(factory.CreateLogger("Readiness.Web.Notifications.NotificationDispatcher").IsEnabled(LogLevel.Warning));
        Assert.True(factory.CreateLogger("Readiness.Web.Notifications.NotificationDispatcher").IsEnabled(LogLevel.Information));
    }

    /// <summary>A provider that takes every level, so the configured filters alone decide.</summary>
    private sealed class Probe : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Sink();

        public void Dispose()
        {
        }

        private sealed class Sink : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
            }
        }
    }
}

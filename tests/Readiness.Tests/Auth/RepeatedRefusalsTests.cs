using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.Tests.Auth;

/// <summary>
/// A client over its rate limit is refused on every request: the security log writes one line a minute for it, and the
/// next line says how many it did not write (operator's finding: 5,842 lines in 6 s from one client).
/// </summary>
public sealed class RepeatedRefusalsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_first_refusal_is_written_then_one_a_minute_counting_those_not_written()
    {
        var refusals = new RepeatedRefusals(TimeSpan.FromMinutes(1));
        Assert.True(refusals.Admit("tester@city.example", T0, out var none));
        Assert.Equal(0, none);
        for (var i = 1; i <= 500; i++)
        {
            Assert.False(refusals.Admit("tester@city.example", T0.AddMilliseconds(i * 10), out _));
        }

        Assert.True(refusals.Admit("tester@city.example", T0.AddMinutes(1), out var counted));
        Assert.Equal(500, counted);
        Assert.False(refusals.Admit("tester@city.example", T0.AddMinutes(1.5), out _));
    }

    [Fact]
    public void Each_caller_has_its_own_line()
    {
        var refusals = new RepeatedRefusals(TimeSpan.FromMinutes(1));
        Assert.True(refusals.Admit("a@city.example", T0, out _));
        Assert.True(refusals.Admit("b@city.example", T0, out _));
        Assert.True(refusals.Admit("192.0.2.7", T0, out _));
        Assert.False(refusals.Admit("a@city.example", T0.AddSeconds(1), out _));
    }

    [Fact]
    public void At_the_key_limit_the_keys_whose_minute_has_passed_go_and_a_flooding_caller_stays_quiet()
    {
        var refusals = new RepeatedRefusals(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 9_999; i++)
        {
            Assert.True(refusals.Admit($"192.0.2.{i}", T0, out _));
        }

        Assert.True(refusals.Admit("flood@city.example", T0.AddSeconds(61), out _));
        Assert.Equal(10_000, refusals.Count);
        Assert.True(refusals.Admit("new@city.example", T0.AddSeconds(62), out _)); // the 9,999 from T0 have passed their minute

        Assert.Equal(2, refusals.Count);
        Assert.False(refusals.Admit("flood@city.example", T0.AddSeconds(63), out _)); // still within its minute: no new line
    }
}

/// <summary>The security log itself: a flood of rate-limit refusals from one caller is one line; other refusals are each a line.</summary>
public sealed class SecurityLogFloodTests
{
    [Fact]
    public void A_flood_of_rate_limit_refusals_is_one_line_and_other_refusals_each_a_line()
    {
        var lines = new List<string>();
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(new ListLoggerProvider(lines)));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var log = new SecurityLog(loggers, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new FixedClock());
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        http.Request.Method = "PUT";
        http.Request.Path = "/api/v1/municipalities/131016/systems/koseki";
        var caller = new ReadinessCaller("tester@city.example", Readiness.Role.Municipality, "131016");

        for (var i = 0; i < 300; i++)
        {
            log.Refused(http, caller, "rate_limited", 429, "retry after 5 s");
        }

        Assert.Single(lines);
        for (var i = 0; i < 3; i++)
        {
            log.Refused(http, caller, "forbidden", 403, "another municipality");
        }

        Assert.Equal(4, lines.Count);
    }

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    }

    private sealed class ListLoggerProvider(List<string> lines) : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new ListLogger(lines);

        public void Dispose()
        {
        }
    }

    private sealed class ListLogger(List<string> lines) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add(formatter(state, exception));
    }
}

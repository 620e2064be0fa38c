using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features.Authentication;
using Microsoft.Extensions.Options;
using Readiness.Web.Auth;

namespace Readiness.Tests.Auth;

public sealed class CredentialWatchTests
{
    [Fact]
    public async Task A_stream_ends_at_its_credentials_expiry_by_the_clock_never_before_even_when_the_timer_fires_early()
    {
        // The clock the expiry is judged by falls 300 ms behind the timers after the watch starts: the expiry timer
        // then fires while the credential is, by that clock, still valid for 300 ms.
        var time = new LaggingClock();
        // Whole seconds: the authentication properties keep ExpiresUtc to the second, as a token's exp does.
        var now = time.GetUtcNow();
        var expires = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero) + TimeSpan.FromSeconds(2);
        var http = Authenticated(expires);
        var watch = new CredentialWatch([], Options.Create(new ReadinessAuthOptions { RevalidationInterval = TimeSpan.Zero }), time);
        using var lease = watch.Watch(http, CancellationToken.None);
        Assert.Equal(CredentialEnd.None, lease.End);
        time.Lag = TimeSpan.FromMilliseconds(300);
        DateTimeOffset? endedAt = null;
        var ended = new TaskCompletionSource();
        using var registration = lease.Token.Register(() =>
        {
            endedAt = time.GetUtcNow();
            ended.TrySetResult();
        });

        await ended.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CredentialEnd.Expired, lease.End);
        Assert.True(endedAt >= expires, $"ended {(expires - endedAt!.Value).TotalMilliseconds:F0} ms before the credential expired");
    }

    [Fact]
    public void A_credential_already_expired_is_refused_at_once()
    {
        var time = new LaggingClock();
        var http = Authenticated(time.GetUtcNow() - TimeSpan.FromMilliseconds(1));
        var watch = new CredentialWatch([], Options.Create(new ReadinessAuthOptions { RevalidationInterval = TimeSpan.Zero }), time);
        using var lease = watch.Watch(http, CancellationToken.None);
        Assert.Equal(CredentialEnd.Expired, lease.End);
        Assert.True(lease.Token.IsCancellationRequested);
    }

    private static DefaultHttpContext Authenticated(DateTimeOffset expires)
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "watched")], "test"));
        var http = new DefaultHttpContext { User = user };
        http.Features.Set<IAuthenticateResultFeature>(new ResultFeature
        {
            AuthenticateResult = AuthenticateResult.Success(new AuthenticationTicket(user, new AuthenticationProperties { ExpiresUtc = expires }, "test")),
        });
        return http;
    }

    private sealed class ResultFeature : IAuthenticateResultFeature
    {
        public AuthenticateResult? AuthenticateResult { get; set; }
    }

    /// <summary>The system's timers, with a wall clock that can fall behind them (as a timer firing early looks).</summary>
    private sealed class LaggingClock : TimeProvider
    {
        public TimeSpan Lag { get; set; }

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() - Lag;
    }
}

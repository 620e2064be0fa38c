using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>A real SMTP server (the SmtpServer package) on a free port that can be stopped and started again on the same port.</summary>
public sealed class TestMailServer : IDisposable
{
    private CancellationTokenSource? stop;

    public int Port { get; } = Readiness.Testing.TestPorts.Free();

    public MailStore Mailbox { get; } = new();

    public bool Running => stop is not null;

    public void Start()
    {
        if (stop is not null)
        {
            return;
        }

        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(Mailbox);
        stop = new CancellationTokenSource();
        _ = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    public void Stop()
    {
        stop?.Cancel();
        stop?.Dispose();
        stop = null;
    }

    public void Dispose() => Stop();
}

/// <summary>Every message the SMTP server accepted, parsed with MimeKit, with the time it arrived.</summary>
public sealed class MailStore : MessageStore
{
    private readonly ConcurrentQueue<(MimeMessage Message, DateTimeOffset At)> messages = new();

    public IReadOnlyList<(MimeMessage Message, DateTimeOffset At)> All => messages.ToArray();

    public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        await using var stream = new MemoryStream(buffer.ToArray());
        messages.Enqueue((await MimeMessage.LoadAsync(stream, cancellationToken), DateTimeOffset.UtcNow));
        return SmtpResponse.Ok;
    }

    public IReadOnlyList<(MimeMessage Message, DateTimeOffset At)> To(string address) =>
        All.Where(m => m.Message.To.Mailboxes.Any(b => b.Address == address)).ToList();

    public async Task<(MimeMessage Message, DateTimeOffset At)> WaitAsync(string to, Func<MimeMessage, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            var found = To(to).FirstOrDefault(m => match(m.Message));
            if (found.Message is not null)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No matching mail to {to} arrived; mails to it: {string.Join(" | ", To(to).Select(m => m.Message.Subject))}");
    }
}

/// <summary>
/// A webhook receiver on real Kestrel: verifies every request with the StandardWebhooks package and the endpoint's
/// secret; keeps the verified ones, answers 401 to the rest.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<(string Id, string Body)> verified = new();
    private readonly ConcurrentQueue<string> vias = new();
    private int rejected;

    public WebhookReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        app = builder.Build();
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            try
            {
                new StandardWebhook(Secret ?? throw new WebhookVerificationException("no secret yet")).Verify(body, http.Request.Headers);
            }
            catch (WebhookVerificationException)
            {
                Interlocked.Increment(ref rejected);
                return Results.StatusCode(401);
            }

            verified.Enqueue((http.Request.Headers["webhook-id"].ToString(), body));
            vias.Enqueue(http.Request.Headers.Via.ToString());
            return Results.NoContent();
        });
    }

    public string? Secret { get; set; }

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<(string Id, string Body)> Verified => verified.ToArray();

    public int Rejected => Volatile.Read(ref rejected);

    /// <summary>The Via header of each verified request (empty when it came directly), in arrival order.</summary>
    public IReadOnlyList<string> Vias => vias.ToArray();

    public async Task StartAsync()
    {
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(new Uri(address), "/hook");
    }

    public async Task<(string Id, JsonElement Body)> WaitAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            foreach (var (id, body) in Verified)
            {
                var json = JsonDocument.Parse(body).RootElement.Clone();
                if (match(json))
                {
                    return (id, json);
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No matching webhook arrived; verified: {Verified.Count}, rejected: {Rejected}");
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

/// <summary>The product with SMTP pointing at <see cref="TestMailServer"/>, fast dispatcher rounds and short retries.</summary>
public class NotificationHost : ApiHost
{
    private readonly int smtpPort;

    public NotificationHost(string dataPath, int smtpPort)
        : base(dataPath)
    {
        this.smtpPort = smtpPort;
    }

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:Smtp:Host"] = "127.0.0.1";
        settings["Readiness:Smtp:Port"] = smtpPort.ToString(CultureInfo.InvariantCulture);
        settings["Readiness:Smtp:Security"] = "None";
        settings["Readiness:Smtp:From"] = "readiness@test.local";
        settings["Readiness:Notifications:PollInterval"] = "00:00:00.200";
        settings["Readiness:Notifications:RetryFirst"] = "00:00:00.500";
        settings["Readiness:Notifications:RetryCap"] = "00:00:01";
        settings["Readiness:Notifications:MaxAttempts"] = "1000";
        settings["Readiness:Notifications:MaxMailsPerHour"] = "100000";
        settings["Readiness:Notifications:ScheduleInterval"] = "01:00:00";

        // The test receivers listen on loopback, which webhooks may reach only when listed.
        settings["Readiness:Webhooks:AllowedNetworks"] = "127.0.0.0/8";
        return settings;
    }

    /// <summary>An active account with an e-mail address (no password: these tests use tokens with the same subject).</summary>
    public async Task AddPersonAsync(string email, Readiness.Web.Identity.AccountRole role, string? tenant)
    {
        using var scope = Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<Readiness.Web.Identity.ReadinessUser>>();
        var result = await users.CreateAsync(new Readiness.Web.Identity.ReadinessUser
        {
            UserName = email, Email = email, EmailConfirmed = true, DisplayName = email, AccountRole = role, Tenant = tenant, Active = true, CreatedAtUtc = DateTime.UtcNow,
        });
        Assert.True(result.Succeeded, string.Join(", ", result.Errors.Select(e => e.Description)));
    }

    /// <summary>Moves a system forward to in production and back to testing (a regression, and newly overdue); returns when the second PUT was answered.</summary>
    public async Task<DateTimeOffset> RegressAsync(string code, string businessId, string reason = "ベンダー再選定のため")
    {
        using var client = Municipality(code, $"reporter@{code}");
        await PutSystem(client, code, businessId, """{"phase":"in_production","designated":false}""");
        await PutSystem(client, code, businessId, JsonSerializer.Serialize(new { phase = "testing", designated = false, regressionReason = reason }));
        return DateTimeOffset.UtcNow;
    }

    /// <summary>The first pending outbox row for <paramref name="recipient"/> that has been tried at least once (within 30 s), or Undefined.</summary>
    public async Task<JsonElement> FailedDeliveryAsync(string recipient)
    {
        for (var i = 0; i < 300; i++)
        {
            await Task.Delay(100);
            var failing = (await OutboxAsync("pending")).GetProperty("items").EnumerateArray()
                .FirstOrDefault(r => r.GetProperty("recipient").GetString() == recipient && r.GetProperty("attempts").GetInt32() >= 1);
            if (failing.ValueKind != JsonValueKind.Undefined)
            {
                return failing;
            }
        }

        return default;
    }

    /// <summary>The outbox rows in a status, through the administrators' API.</summary>
    public async Task<JsonElement> OutboxAsync(string status)
    {
        using var admin = Client(Token(Role.Admin));
        return JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/admin/notifications?status={status}")).RootElement.Clone();
    }
}

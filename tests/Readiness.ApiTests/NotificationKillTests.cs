using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Readiness.Web.Identity;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using Xunit;
using Xunit.Abstractions;
using Readiness.Testing;

namespace Readiness.ApiTests;

/// <summary>
/// A real SMTP server (SmtpServer package) that holds its answer to the first DATA while <see cref="HoldingStore.Holding"/>:
/// the message is received but not acknowledged, as when a mail is in flight. It keeps listening through the sender's
/// death and after; <see cref="ListeningAsync"/> checks that.
/// <para>
/// Why the store is a class of its own and not disposable: SmtpServer disposes the message store after every DATA
/// command (DataCommand wraps it in a DisposableContainer: "if the store is IDisposable, Dispose()"), because it expects
/// a store per session from an IMessageStoreFactory. The first version of this test made the store its own server's
/// owner, whose Dispose cancelled the server: the held DATA, released after the kill, ended, SmtpServer disposed the
/// store, the listener stopped, and the restarted product met "connection refused" (always with the plain release; a
/// race with a restart of the listener in the second version, hence "sometimes").
/// </para>
/// </summary>
public sealed class HoldingSmtpServer : IDisposable
{
    private readonly CancellationTokenSource stop = new();

    public HoldingSmtpServer()
    {
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(Store);
        var server = new SmtpServer.SmtpServer(options, services);
        server.SessionFaulted += (_, e) => Store.Log($"session faulted: {e.Exception.GetType().Name} {e.Exception.Message}");
        Running = server.StartAsync(stop.Token);
    }

    public int Port { get; } = Readiness.Testing.TestPorts.Free();

    public HoldingStore Store { get; } = new();

    /// <summary>The server's task: it ends only when the server stops listening.</summary>
    public Task Running { get; }

    /// <summary>True when a new connection is greeted with 220 (the listener is alive).</summary>
    public async Task<bool> ListeningAsync()
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await probe.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            using var reader = new StreamReader(probe.GetStream());
            var greeting = await reader.ReadLineAsync(timeout.Token);
            return greeting?.StartsWith("220", StringComparison.Ordinal) == true;
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Store.Release();
        stop.Cancel();
        stop.Dispose();
    }
}

/// <summary>The message store of <see cref="HoldingSmtpServer"/>: every message received, with its notification id and whether it was acknowledged (250).</summary>
public sealed class HoldingStore : MessageStore
{
    private readonly ConcurrentQueue<(string Id, string To, string Subject, bool Acknowledged, DateTimeOffset At)> received = new();
    private readonly ConcurrentQueue<string> events = new();
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While true, the first DATA is received and left unanswered until <see cref="Release"/>.</summary>
    public bool Holding { get; private set; } = true;

    /// <summary>The id of the mail held (in flight), once one is.</summary>
    public string? InFlight { get; private set; }

    public IReadOnlyList<(string Id, string To, string Subject, bool Acknowledged, DateTimeOffset At)> Received => received.ToArray();

    public IReadOnlyList<string> Events => events.ToArray();

    public void Log(string text) => events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {text}");

    /// <summary>Ends the hold: the held DATA is answered 451 (its sender is gone; the mail counts as not received) and later mails are accepted.</summary>
    public void Release()
    {
        Holding = false;
        release.TrySetResult();
    }

    public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        await using var stream = new MemoryStream(buffer.ToArray());
        var message = await MimeMessage.LoadAsync(stream, cancellationToken);
        var id = message.Headers["X-Readiness-Notification-Id"] ?? string.Empty;
        var to = message.To.Mailboxes.Single().Address;
        if (Holding && InFlight is null)
        {
            InFlight = id;
            received.Enqueue((id, to, message.Subject ?? string.Empty, false, DateTimeOffset.UtcNow));
            Log($"DATA of {id} held (in flight)");
            await release.Task.WaitAsync(cancellationToken); // the sender is killed while it waits here
            Log($"held DATA of {id} released");
            return new SmtpResponse(SmtpReplyCode.Aborted, "held by the test, not stored");
        }

        received.Enqueue((id, to, message.Subject ?? string.Empty, true, DateTimeOffset.UtcNow));
        Log($"DATA of {id} accepted");
        return SmtpResponse.Ok;
    }
}

/// <summary>
/// kill -9 with mail in flight: the product runs as its own process (dotnet Readiness.Web.dll, embedded mode, SQLite),
/// with a webhook endpoint for 東京都; a phase moved back creates four mails and two webhook deliveries; the SMTP
/// server receives the first mail and holds its answer; the process is killed with SIGKILL during that SMTP
/// transaction, its claimed rows still leased (10 minutes here). Started again on the same data folder it delivers every
/// notification, mail and webhook, each with the id it had (the in-flight mail again with its id, so a receiver that
/// drops repeated ids counts each once), long before the killed run's leases would have ended: a restart takes its
/// leases back (<c>NotificationStore.ReleaseLeasesAsync</c>).
/// </summary>
public sealed class NotificationKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Pref13 = "kill-pref13@test.local";
    private const string Own = "kill-chiyoda@test.local";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);
    private readonly HoldingSmtpServer smtp = new();
    private readonly WebhookReceiver receiver = new();
    private readonly string dataPath = Directory.CreateTempSubdirectory("readiness-notify-kill-").FullName;

    public Task InitializeAsync() => receiver.StartAsync();

    [Fact]
    public async Task Killed_with_mail_in_flight_every_notification_is_delivered_after_restart_with_the_same_id()
    {
        // The accounts (and the notification position) are set up in-process first, on the same data folder. Its
        // dispatcher is off; the position is stored here, at the end of the audit trail, as a first start does.
        var setup = new SetupHost(dataPath, smtp.Port);
        await setup.InitializeAsync();
        await setup.AddPersonAsync(Pref13, AccountRole.PrefectureStaff, "13");
        await setup.AddPersonAsync(Own, AccountRole.MunicipalityReporter, ApiHost.Chiyoda);
        var store = setup.Services.GetRequiredService<Readiness.Web.Notifications.NotificationStore>();
        await store.GetOrAddStateAsync(Readiness.Web.Notifications.NotificationStore.PositionName, (await store.AuditEndAsync()).ToString(CultureInfo.InvariantCulture));
        var token = setup.Token(Role.Municipality, ApiHost.Chiyoda, $"reporter@{ApiHost.Chiyoda}");
        var admin = setup.Token(Role.Admin);
        try
        {
            await setup.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
            // A slow silo stop on a loaded machine: what was written is committed.
        }

        var first = Product.Start(dataPath, smtp.Port);
        string inFlight;
        DateTimeOffset killedAt;
        try
        {
            using (var administrator = await first.ClientAsync(admin))
            {
                using var registered = await administrator.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = receiver.Url.ToString(), tenant = "13" });
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
                receiver.Secret = (await ApiHost.Json(registered)).GetProperty("secret").GetString();
            }

            using var client = await first.ClientAsync(token);
            await Put(client, """{"phase":"in_production","designated":false}""");
            await Put(client, """{"phase":"testing","designated":false,"regressionReason":"kill -9 test"}""");

            var waited = Stopwatch.StartNew();
            while (smtp.Store.InFlight is null && waited.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(20);
            }

            inFlight = smtp.Store.InFlight ?? throw new TimeoutException("no mail reached the SMTP server: " + first.Tail());
            Assert.StartsWith("ntf_", inFlight, StringComparison.Ordinal);
        }
        finally
        {
            first.KillHard(); // SIGKILL while the held mail's SMTP transaction is open
            killedAt = DateTimeOffset.UtcNow;
            await first.DisposeAsync();
        }

        output.WriteLine($"Killed with {inFlight} in flight (its DATA sent, unanswered); webhooks received before the kill: {receiver.Verified.Count}");

        // What the killed process left: its deliveries still leased for the configured 10 minutes.
        var left = await OutboxAsync();
        foreach (var row in left)
        {
            output.WriteLine($"  left by the killed process: {row.Id} {row.Channel} {row.Status} lease until {(row.LeaseUntil is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l).ToString("HH:mm:ss", CultureInfo.InvariantCulture) : "-")}");
        }

        var inFlightRow = Assert.Single(left, r => r.Id == inFlight);
        Assert.Equal("pending", inFlightRow.Status);
        Assert.True(inFlightRow.LeaseUntil > killedAt.Add(Lease / 2).ToUnixTimeMilliseconds(), "the in-flight row is leased by the killed process");

        // The receiving server outlives its sender: the held session ends, the listener keeps accepting.
        smtp.Store.Release();
        Assert.True(await smtp.ListeningAsync(), "the SMTP server stopped listening after the killed sender's session: " + string.Join(" | ", smtp.Store.Events));

        var restarted = Stopwatch.StartNew();
        var restartedAt = DateTimeOffset.UtcNow;
        var second = Product.Start(dataPath, smtp.Port);
        try
        {
            using var client = await second.ClientAsync(admin);
            var ready = restarted.Elapsed;
            var mails = new HashSet<string>();
            var hooks = new HashSet<string>();
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromSeconds(120))
            {
                var delivered = JsonDocument.Parse(await client.GetStringAsync("/api/v1/admin/notifications?status=delivered")).RootElement.GetProperty("items").EnumerateArray().ToList();
                mails = delivered.Where(r => r.GetProperty("channel").GetString() == "mail").Select(r => r.GetProperty("id").GetString()!).ToHashSet();
                hooks = delivered.Where(r => r.GetProperty("channel").GetString() == "webhook").Select(r => r.GetProperty("id").GetString()!).ToHashSet();
                if (mails.Count >= 4 && hooks.Count >= 2)
                {
                    break;
                }

                await Task.Delay(100);
            }

            var accepted = smtp.Store.Received.Where(r => r.Acknowledged).Select(r => (r.At - restartedAt).TotalSeconds).ToList();
            output.WriteLine($"Restart began {(restartedAt - killedAt).TotalSeconds:F1} s after the kill; the restarted product answered ready after {ready.TotalSeconds:F1} s; "
                + $"mails accepted by the SMTP server {(accepted.Count == 0 ? "-" : accepted.Min().ToString("F1", CultureInfo.InvariantCulture))}–{(accepted.Count == 0 ? "-" : accepted.Max().ToString("F1", CultureInfo.InvariantCulture))} s after the restart began; "
                + $"all rows delivered by {restarted.Elapsed.TotalSeconds:F1} s; the killed run's leases had {(Lease - (DateTimeOffset.UtcNow - killedAt)).TotalMinutes:F1} min left");
            foreach (var e in smtp.Store.Events)
            {
                output.WriteLine("  smtp " + e);
            }

            Assert.True(mails.Count == 4 && hooks.Count == 2, $"not all delivered: {mails.Count} mails, {hooks.Count} webhooks; pending: {await client.GetStringAsync("/api/v1/admin/notifications?status=pending")}\n{second.Tail()}");

            // Two kinds (regression, newly overdue) × two people = four mails; the same two events to the 東京都 webhook.
            var received = smtp.Store.Received;
            var acknowledged = received.Where(r => r.Acknowledged).Select(r => r.Id).ToList();
            Assert.Equal(mails.Order(), acknowledged.Distinct().Order());
            Assert.Contains(inFlight, acknowledged); // sent again after the restart, with the same id
            Assert.Equal(4, received.Select(r => r.Id).Distinct().Count()); // a receiver dropping repeated ids counts each once
            Assert.Equal([Own, Pref13], received.Select(r => r.To).Distinct().Order());
            Assert.Equal(hooks.Order(), receiver.Verified.Select(v => v.Id).Distinct().Order());
            Assert.Equal(0, receiver.Rejected);
            Assert.Equal(["overdue", "regression"], receiver.Verified.Select(v => JsonDocument.Parse(v.Body).RootElement.GetProperty("type").GetString()).Distinct().Order());

            // The notification counters are exported at /metrics (Meter "Readiness.Notifications").
            var metrics = await client.GetStringAsync("/metrics");
            Assert.Matches("readiness_notifications_sent_total\\{[^}]*channel=\"mail\"[^}]*\\} [1-9]", metrics);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private async Task<IReadOnlyList<(string Id, string Channel, string Status, long? LeaseUntil)>> OutboxAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataPath, Readiness.Hosting.SqliteSchema.DatabaseFileName)};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, channel, status, lease_until_ms FROM readiness_notification_outbox WHERE channel <> 'in_app' ORDER BY id";
        var rows = new List<(string, string, string, long?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
        }

        return rows;
    }

    private static async Task Put(HttpClient client, string json)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}");
            var version = current.Headers.ETag?.Tag;
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/systems/koseki") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("If-Match", version);
            using var response = await client.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            Assert.True(attempt < 20 && response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.PreconditionFailed, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(1000);
        }
    }

    public async Task DisposeAsync()
    {
        smtp.Dispose();
        await receiver.DisposeAsync();
        try
        {
            Directory.Delete(dataPath, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans temp folders
        }
    }

    private sealed class SetupHost(string dataPath, int smtpPort) : NotificationHost(dataPath, smtpPort)
    {
        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings["Readiness:Notifications:Enabled"] = "false";
            return settings;
        }
    }

    /// <summary>The product as a child process: dotnet Readiness.Web.dll, embedded mode on the data folder, SMTP at the test server.</summary>
    private sealed class Product : IAsyncDisposable
    {
        private readonly Process process;
        private readonly ConcurrentQueue<string> tail = new();

        private Product(Process process, int port)
        {
            this.process = process;
            BaseAddress = new Uri($"http://127.0.0.1:{port}");
        }

        public Uri BaseAddress { get; }

        public static Product Start(string dataPath, int smtpPort)
        {
            var dll = Path.Combine(RepositoryFolder.Root, "web", "Readiness.Web", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, new DirectoryInfo(AppContext.BaseDirectory).Name, "Readiness.Web.dll");
            Assert.True(File.Exists(dll), $"{dll} is not built");
            var port = Readiness.Testing.TestPorts.Free();
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Readiness__DataPath"] = dataPath,
                ["Readiness__SiloPort"] = Readiness.Testing.TestPorts.Free().ToString(CultureInfo.InvariantCulture),
                ["Readiness__GatewayPort"] = Readiness.Testing.TestPorts.Free().ToString(CultureInfo.InvariantCulture),
                ["Readiness__WarmUp"] = "false",
                ["Readiness__RateLimits__WritesPerMinute"] = "100000",
                ["Readiness__RateLimits__ReadsPerMinute"] = "100000",
                ["Readiness__Smtp__Host"] = "127.0.0.1",
                ["Readiness__Smtp__Port"] = smtpPort.ToString(CultureInfo.InvariantCulture),
                ["Readiness__Smtp__Security"] = "None",
                ["Readiness__Smtp__From"] = "readiness@test.local",
                ["Readiness__Notifications__PollInterval"] = "00:00:00.200",
                ["Readiness__Notifications__RetryFirst"] = "00:00:00.500",
                ["Readiness__Notifications__RetryCap"] = "00:00:01",
                ["Readiness__Notifications__MaxAttempts"] = "1000",
                ["Readiness__Notifications__MaxMailsPerHour"] = "100000",
                ["Readiness__Notifications__ScheduleInterval"] = "01:00:00",
                ["Readiness__Webhooks__AllowedNetworks"] = "127.0.0.0/8",

                // Longer than the test waits: deliveries after the restart prove the restart took the leases back.
                ["Readiness__Notifications__Lease"] = Lease.ToString("c", CultureInfo.InvariantCulture),
            };
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }

            var process = new Process { StartInfo = start };
            var product = new Product(process, port);
            process.OutputDataReceived += (_, e) => product.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => product.Keep(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return product;
        }

        /// <summary>A client once the product answers the catalog and is ready (the silo is up).</summary>
        public async Task<HttpClient> ClientAsync(string token)
        {
            var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromMinutes(3))
            {
                Assert.False(process.HasExited, "the product exited: " + Tail());
                try
                {
                    using var response = await client.GetAsync("/api/v1/catalog");
                    using var ready = await client.GetAsync("/health/ready");
                    if (response.IsSuccessStatusCode && ready.IsSuccessStatusCode)
                    {
                        return client;
                    }
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }

                await Task.Delay(250);
            }

            client.Dispose();
            throw new TimeoutException("the product did not become ready: " + Tail());
        }

        /// <summary>kill -9 (SIGKILL): no shutdown, nothing flushed.</summary>
        public void KillHard()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false);
                process.WaitForExit();
            }
        }

        public string Tail() => string.Join('\n', tail.TakeLast(40));

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is not null)
            {
                tail.Enqueue(line);
                while (tail.Count > 200)
                {
                    tail.TryDequeue(out _);
                }
            }
        }
    }
}

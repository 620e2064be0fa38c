using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Readiness.Web.Identity;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// A real SMTP server (SmtpServer package) that can hold its answer to DATA: the message is received but not
/// acknowledged, as when a mail is in flight. Every message received is kept with its notification id.
/// </summary>
public sealed class HoldingMailServer : MessageStore, IDisposable
{
    private CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<(string Id, string To, string Subject, bool Acknowledged)> received = new();
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HoldingMailServer() => Listen();

    private void Listen()
    {
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(this);
        _ = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    /// <summary>
    /// Stops holding and starts listening afresh on the same port: the held session's sender was killed, and the
    /// server's listener does not outlive a session whose peer vanished mid-DATA (seen as "connection refused").
    /// </summary>
    public async Task ReleaseAndRestartAsync()
    {
        Release();
        await stop.CancelAsync();
        stop.Dispose();
        stop = new CancellationTokenSource();
        await Task.Delay(200);
        Listen();
    }

    public int Port { get; } = Readiness.Testing.TestPorts.Free();

    /// <summary>While true, DATA is received and then left unanswered until <see cref="Release"/>.</summary>
    public bool Holding { get; private set; } = true;

    public IReadOnlyList<(string Id, string To, string Subject, bool Acknowledged)> Received => received.ToArray();

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
        if (Holding)
        {
            received.Enqueue((id, to, message.Subject ?? string.Empty, false));
            await release.Task.WaitAsync(cancellationToken); // in flight: the sender is killed while it waits here
            return SmtpResponse.Ok;
        }

        received.Enqueue((id, to, message.Subject ?? string.Empty, true));
        return SmtpResponse.Ok;
    }

    public void Dispose()
    {
        release.TrySetResult();
        if (!disposed)
        {
            disposed = true;
            stop.Cancel();
            stop.Dispose();
        }
    }

    private bool disposed;
}

/// <summary>
/// kill -9 with mail in flight: the product runs as its own process (dotnet Readiness.Web.dll, embedded mode, SQLite),
/// a phase moved back creates four mails, the SMTP server receives the first and holds its answer, the process is
/// killed with SIGKILL; started again on the same data folder, it delivers every notification, each with the id it had,
/// so a receiver that drops repeated ids counts each once. The restarted process's /metrics shows the notification
/// counters.
/// </summary>
public sealed class NotificationKillTests(ITestOutputHelper output) : IDisposable
{
    private const string Pref13 = "kill-pref13@test.local";
    private const string Own = "kill-chiyoda@test.local";
    private readonly HoldingMailServer smtp = new();
    private readonly string dataPath = Directory.CreateTempSubdirectory("readiness-notify-kill-").FullName;

    [Fact]
    public async Task Killed_with_mail_in_flight_every_notification_is_delivered_after_restart_with_the_same_id()
    {
        // The accounts (and the notification position) are set up in-process first, on the same data folder.
        // Its dispatcher is off (it must not send anything of the child's); the position is stored here, at the end of
        // the audit trail, as a first start does.
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
        try
        {
            using var client = await first.ClientAsync(token);
            await Put(client, """{"phase":"in_production","designated":false}""");
            await Put(client, """{"phase":"testing","designated":false,"regressionReason":"kill -9 test"}""");

            var waited = Stopwatch.StartNew();
            while (smtp.Received.Count == 0 && waited.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }

            Assert.True(smtp.Received.Count > 0, "no mail reached the SMTP server: " + first.Tail());
            inFlight = smtp.Received[0].Id;
            Assert.StartsWith("ntf_", inFlight, StringComparison.Ordinal);
            output.WriteLine($"In flight when killed: {inFlight} ({smtp.Received[0].Subject}), {smtp.Received.Count} mail(s) received unanswered");
        }
        finally
        {
            first.KillHard();
            await first.DisposeAsync();
        }

        await smtp.ReleaseAndRestartAsync();
        var restarted = DateTimeOffset.UtcNow;
        var second = Product.Start(dataPath, smtp.Port);
        try
        {
            using var client = await second.ClientAsync(admin);
            var expected = new HashSet<string>();
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromSeconds(120))
            {
                var delivered = JsonDocument.Parse(await client.GetStringAsync("/api/v1/admin/notifications?status=delivered")).RootElement.GetProperty("items").EnumerateArray()
                    .Where(r => r.GetProperty("channel").GetString() == "mail").Select(r => r.GetProperty("id").GetString()!).ToHashSet();
                var pending = JsonDocument.Parse(await client.GetStringAsync("/api/v1/admin/notifications?status=pending")).RootElement.GetProperty("counts");
                if (delivered.Count >= 4 && (!pending.TryGetProperty("pending", out var p) || p.GetInt64() == 0))
                {
                    expected = delivered;
                    break;
                }

                await Task.Delay(200);
            }

            output.WriteLine(expected.Count >= 4
                ? $"All delivered {(DateTimeOffset.UtcNow - restarted).TotalSeconds:F1} s after the restart began"
                : $"Not all delivered; pending: {await client.GetStringAsync("/api/v1/admin/notifications?status=pending")}\n{second.Tail()}");
            var received = smtp.Received;
            foreach (var r in received)
            {
                output.WriteLine($"  {(r.Acknowledged ? "acknowledged" : "in flight   ")} {r.Id} → {r.To}: {r.Subject}");
            }

            // Two kinds (regression, newly overdue) × two people = four mails, four ids, each delivered.
            Assert.Equal(4, expected.Count);
            var acknowledged = received.Where(r => r.Acknowledged).Select(r => r.Id).ToList();
            Assert.Equal(expected.Order(), acknowledged.Distinct().Order());
            Assert.Contains(inFlight, acknowledged); // sent again after the restart, with the same id
            Assert.Equal(4, received.Select(r => r.Id).Distinct().Count()); // a receiver dropping repeated ids counts each once
            Assert.Equal(2, received.Where(r => r.Id.Length > 0).Select(r => r.To).Distinct().Count());

            // The notification counters are exported at /metrics (Meter "Readiness.Notifications").
            var metrics = await client.GetStringAsync("/metrics");
            Assert.Matches("readiness_notifications_sent_total\\{[^}]*channel=\"mail\"[^}]*\\} [1-9]", metrics);
            // (derived_total is not asserted: this process derived nothing, the killed one did, and a counter never added to is not exported.)
        }
        finally
        {
            await second.DisposeAsync();
        }
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

    public void Dispose()
    {
        smtp.Dispose();
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
            var dll = Path.Combine(Root(), "web", "Readiness.Web", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, new DirectoryInfo(AppContext.BaseDirectory).Name, "Readiness.Web.dll");
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

                // A killed node's lease on the row it was sending ends after this (2 minutes by default).
                ["Readiness__Notifications__Lease"] = "00:00:05",
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

        /// <summary>A client once the product answers a municipality read (the silo is up).</summary>
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

                await Task.Delay(500);
            }

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

        private static string Root()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Readiness.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("Readiness.sln");
        }
    }
}

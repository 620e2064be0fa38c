using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Readiness.Web.Identity;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// A webhook receiver that accepts connections and never answers holds only its own deliveries: mail and the app's
/// list come as quickly as without it. The fault found by a breaker: behind such a receiver (each attempt 3 × 10 s),
/// four regressions' mails arrived 15, 47, 79 and 111 s after their saves, and a regression took 100 s to show in the app.
/// </summary>
public sealed class NotificationLaneTests(ITestOutputHelper output)
{
    private const string Staff = "lane.pref13@test.local";

    [Fact]
    public async Task A_receiver_that_never_answers_delays_neither_mail_nor_the_app()
    {
        using var smtp = new TestMailServer();
        smtp.Start();
        using var hanging = new TcpListener(IPAddress.Loopback, 0);
        hanging.Start();
        var held = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await hanging.AcceptTcpClientAsync(stop.Token)); // read nothing, answer nothing
            }
        });

        var host = new NotificationHost(Directory.CreateTempSubdirectory("readiness-lanes-").FullName, smtp.Port);
        await host.InitializeAsync();
        try
        {
            await host.AddPersonAsync(Staff, AccountRole.PrefectureStaff, "13");
            using (var admin = host.Client(host.Token(Role.Admin)))
            {
                var port = ((IPEndPoint)hanging.LocalEndpoint).Port;
                using var registered = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = $"http://127.0.0.1:{port}/hang", tenant = "13" });
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            }

            string[] systems = ["koseki", "resident_registry", "child_allowance", "koseki_fuhyo"];
            var saved = Stopwatch.StartNew();
            foreach (var system in systems)
            {
                await host.RegressAsync(ApiHost.Chiyoda, system);
            }

            var lastSave = saved.Elapsed;
            foreach (var system in systems)
            {
                var name = Readiness.Catalog.ReadinessCatalog.Instance.BusinessSystems.Single(b => b.Id == system).NameJa;
                await smtp.Mailbox.WaitAsync(Staff, m => (m.Subject ?? string.Empty).Contains($" {name}：フェーズの後退", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            }

            var mailed = saved.Elapsed;
            using var staff = host.Client(host.Token(Role.Prefecture, "13", Staff));
            var listed = JsonDocument.Parse(await staff.GetStringAsync("/api/v1/notifications")).RootElement.GetProperty("items").EnumerateArray()
                .Count(i => i.GetProperty("kind").GetString() == "regression");
            output.WriteLine($"4 regressions saved in {lastSave.TotalSeconds:F1} s; all 4 mails received {(mailed - lastSave).TotalSeconds:F1} s after the last save; {listed} in the app");
            Assert.True(listed >= 4, $"{listed} regressions in the app");
            Assert.True(mailed - lastSave < TimeSpan.FromSeconds(15), $"the mails took {(mailed - lastSave).TotalSeconds:F1} s after the last save behind a receiver that never answers");
        }
        finally
        {
            await ((IAsyncLifetime)host).DisposeAsync();
            await stop.CancelAsync();
            hanging.Stop();
            foreach (var client in held)
            {
                client.Dispose();
            }

            try
            {
                await accepting;
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            catch (SocketException)
            {
            }
        }
    }
}

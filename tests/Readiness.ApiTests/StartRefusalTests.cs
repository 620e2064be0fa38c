using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The web process, run as an operator runs it, refuses a start it cannot make in one line naming the setting and exits
/// with a plain code: not an unhandled exception's stack trace and SIGABRT (134), which systemd and Kubernetes take for
/// a crash.
/// </summary>
public class StartRefusalTests
{
    [Theory]
    [InlineData("Readiness__Mode", "Clustr", "Readiness:Mode")]
    [InlineData("Readiness__Auth__RequireMfa", "flase", "Readiness:Auth:RequireMfa")]
    [InlineData("Readiness__Metrics__AllowedNetworks", "garbage", "Readiness:Metrics:AllowedNetworks")]
    [InlineData("ASPNETCORE_URLS", "http://localhost:99999", "99999")]
    [InlineData("Readiness__Smtp__Port", "abc", "Readiness:Smtp:Port")]
    [InlineData("Readiness__Smtp__Security", "Foo", "Readiness:Smtp:Security = 'Foo'")]
    [InlineData("Readiness__Auth__PublicUrl", "not a url", "Readiness:Auth:PublicUrl = 'not a url'")]
    [InlineData("Readiness__RateLimits__WritesPerMinute", "-5", "Readiness:RateLimits:WritesPerMinute = -5")]
    [InlineData("Readiness__Auth__LockoutDuration", "-00:01:00", "Readiness:Auth:LockoutDuration")]
    [InlineData("Readiness__Backup__Retain", "0", "Readiness:Backup:Retain = 0")]
    [InlineData("Readiness__DataPth", "/var/lib/readiness-elsewhere", "Readiness:DataPth is not a setting; did you mean Readiness:DataPath?")]
    public async Task A_setting_that_cannot_start_the_server_is_one_line_naming_it_and_a_plain_exit(string variable, string value, string named)
    {
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { [variable] = value });
        AssertRefused(exit, output, named);
    }

    [Theory]
    [InlineData("Readiness__Auth__Authority", "http://idp.example.lg.jp", "Readiness:Auth:Authority = 'http://idp.example.lg.jp'")]
    [InlineData("Readiness__Auth__Authority", "idp.example.lg.jp", "Readiness:Auth:Authority = 'idp.example.lg.jp'")]
    [InlineData("Readiness__Auth__SigningKey", "c2hvcnQ=", "Readiness:Auth:SigningKey")]
    [InlineData("Readiness__Proxy__KnownNetworks", "10.0.0.0/99", "Readiness:Proxy:KnownNetworks: '10.0.0.0/99'")]
    public async Task A_setting_taken_at_start_that_then_broke_every_request_is_refused_naming_it(string variable, string value, string named)
    {
        // Before, the server started and reported healthy; every bearer API call then failed with a 500.
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { [variable] = value });
        AssertRefused(exit, output, named);
        Assert.Contains(" / ", output, StringComparison.Ordinal); // Japanese and English
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    public async Task A_forward_limit_below_one_is_refused_at_start_instead_of_failing_every_request(string limit)
    {
        // Before, -1 was taken and every request failed with an OverflowException in ForwardedHeadersMiddleware (500).
        var (exit, output) = await RunWebAsync(new Dictionary<string, string>
        {
            ["Readiness__Proxy__KnownProxies"] = "10.0.0.5",
            ["Readiness__Proxy__ForwardLimit"] = limit,
        });
        AssertRefused(exit, output, $"Readiness:Proxy:ForwardLimit = {limit}: 1 以上を指定してください");
    }

    [Fact]
    public async Task A_silo_port_out_of_range_or_equal_to_the_gateway_port_is_refused_naming_the_setting()
    {
        // Before: "Specified argument was out of the range of valid values", naming no setting.
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { ["Readiness__SiloPort"] = "70000" });
        AssertRefused(exit, output, "Readiness:SiloPort = 70000: 0〜65535 のポート番号を指定してください / must be a port number from 0 to 65535.");

        var port = Readiness.Testing.TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        (exit, output) = await RunWebAsync(new Dictionary<string, string> { ["Readiness__SiloPort"] = port, ["Readiness__GatewayPort"] = port });
        AssertRefused(exit, output, $"Readiness:GatewayPort = {port}: Readiness:SiloPort と同じポートです");
    }

    [Theory]
    [InlineData("Readiness__Proxy__ForwardLimit", "abc", "Readiness:Proxy:ForwardLimit = 'abc': 整数を指定してください / must be a whole number.")]
    [InlineData("Readiness__ReconcileInterval", "5m", "Readiness:ReconcileInterval = '5m': 時間を")]
    [InlineData("Readiness__Health__Details", "Nobody", "Readiness:Health:Details = 'Nobody': Local, Everyone のいずれかを指定してください / must be one of Local, Everyone.")]
    [InlineData("Readiness__Health__Details", "5", "Readiness:Health:Details = '5': Local, Everyone のいずれかを指定してください")]
    [InlineData("Readiness__Metrics__AllowedNetworks", "garbage", "Readiness:Metrics:AllowedNetworks = 'garbage': CIDR")]
    [InlineData("Readiness__Notifications__MaxAttempts", "0", "Readiness:Notifications:MaxAttempts = 0: 1 以上を指定してください / must be at least 1.")]
    [InlineData("Readiness__Notifications__ScheduleInterval", "00:00:00", "Readiness:Notifications:ScheduleInterval = 00:00:00: 0 より長い時間を指定してください")]
    [InlineData("Readiness__Webhooks__Proxy", "ftp://proxy.example.lg.jp", "Readiness:Webhooks:Proxy = 'ftp://proxy.example.lg.jp': 送信用プロキシ")]
    [InlineData("Readiness__Webhooks__AllowedNetworks", "10.0.0.0/99", "Readiness:Webhooks:AllowedNetworks = '10.0.0.0/99': CIDR")]
    [InlineData("Readiness__Auth__SessionRevalidation", "00:05:00", "Readiness:Auth:SessionRevalidation = 00:05:00: 0 より長く 00:01:00 以下")]
    [InlineData("Readiness__Clients__RequireHttps", "yes", "Readiness:Clients:RequireHttps = 'yes': true か false を指定してください / must be true or false.")]
    public async Task Every_refusal_of_a_setting_says_it_in_Japanese_first_then_English_naming_the_setting_and_value(string variable, string value, string said)
    {
        // Before, these were English only after the bilingual prefix: the binder's "Failed to convert configuration
        // value 'abc' at ...", "Readiness:Health:Details must be Local or Everyone.", one English sentence for all the
        // notification settings, and a schedule interval of zero failed the dispatcher's timer after start.
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { [variable] = value });
        AssertRefused(exit, output, said);
        AssertBilingual(output);
    }

    [Fact]
    public async Task Two_settings_refused_at_once_are_each_named_in_both_languages()
    {
        // Before: "One or more errors occurred. (…) (…)", English, when two options types were refused together.
        var (exit, output) = await RunWebAsync(new Dictionary<string, string>
        {
            ["Readiness__Backup__Retain"] = "0",
            ["Readiness__Notifications__BatchSize"] = "0",
        });
        AssertRefused(exit, output, "Readiness:Backup:Retain = 0: 1 以上を指定してください");
        AssertRefused(exit, output, "Readiness:Notifications:BatchSize = 0: 1 以上を指定してください");
        Assert.DoesNotContain("One or more errors", output, StringComparison.Ordinal);
        AssertBilingual(output);
    }

    [Theory]
    [InlineData("Readiness__Webhooks__AllowedNetworks", "garbage", "backup")]
    [InlineData("Readiness__Webhooks__Proxy", "ftp://proxy.example.lg.jp", "restore", "--from", "bk.db")]
    [InlineData("Readiness__Notifications__MaxAttempts", "0", "token", "--role", "national")]
    [InlineData("Readiness__Health__Details", "Nobody", "backup")]
    [InlineData("Readiness__Proxy__ForwardLimit", "abc", "token", "--role", "national")]
    public async Task Every_command_runs_the_checks_the_server_runs(string variable, string value, params string[] command)
    {
        // Before, the notification, webhook, health and metrics settings were checked by the server only: backup said
        // "No Readiness database", token printed a token.
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { [variable] = value }, command);
        AssertRefused(exit, output, variable.Replace("__", ":", StringComparison.Ordinal) + " = ");
        AssertBilingual(output);
    }

    [Theory]
    [InlineData("port out of range")]
    [InlineData("silo port in use")]
    [InlineData("web port in use")]
    [InlineData("data folder in use")]
    public async Task A_refused_start_leaves_the_data_folder_without_a_database(string refusal)
    {
        // Before, the schema was applied (readiness.db made or migrated) while the silo was configured, before a port out
        // of range or in use was refused; and the data folder's lock was taken after the silo had started, so a second
        // server on the folder migrated it, joined, and printed the silo's shutdown (~40 lines) above its refusal.
        var data = Directory.CreateTempSubdirectory("readiness-refused-").FullName;
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (settings, said) = refusal switch
        {
            "port out of range" => (new Dictionary<string, string> { ["Readiness__SiloPort"] = "70000" }, "Readiness:SiloPort = 70000: "),
            "silo port in use" => (new Dictionary<string, string> { ["Readiness__GatewayPort"] = port }, $"Readiness:GatewayPort = {port}: "),
            "web port in use" => (new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" }, $"ASPNETCORE_URLS (urls) 'http://127.0.0.1:{port}': "),
            _ => (new Dictionary<string, string>(), $"Readiness:DataPath = '{data}': 別の Readiness プロセスがこのデータフォルダーを使っています"),
        };
        using var held = refusal == "data folder in use" ? Readiness.Hosting.DataFolderLock.TryAcquire(data) : null;
        try
        {
            var (exit, output) = await RunWebInAsync(settings, data);
            AssertRefused(exit, output, said);
            AssertBilingual(output);
            Assert.False(File.Exists(Path.Combine(data, "readiness.db")), $"readiness.db was made by a refused start:\n{output}");
            Assert.DoesNotContain("Readiness data:", output, StringComparison.Ordinal);

            // The refusal alone: no silo's start or shutdown logged above it.
            Assert.True(output.Split('\n').Count(l => l.Trim().Length > 0) == 1, $"more than the one line:\n{output}");
        }
        finally
        {
            held?.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("backup")]
    [InlineData("restore", "--from", "bk.db")]
    [InlineData("token", "--role", "national")]
    public async Task Every_command_refuses_a_misspelt_setting_as_the_server_does(params string[] command)
    {
        // Before, the command exited 0 on the default data folder (restore: replacing the wrong database).
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { ["Readiness__DataPth"] = "/tmp/readiness-elsewhere" }, command);
        AssertRefused(exit, output, "Readiness:DataPth is not a setting; did you mean Readiness:DataPath?");
    }

    [Fact]
    public async Task The_token_command_refuses_a_short_signing_key_in_one_line_naming_the_setting()
    {
        // Before: an unhandled InvalidOperationException, exit 134.
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { ["Readiness__Auth__SigningKey"] = "c2hvcnQ=" }, "token", "--role", "national");
        AssertRefused(exit, output, "Readiness:Auth:SigningKey");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public async Task The_token_command_refuses_hours_that_are_not_a_number_in_range_naming_the_option(string hours)
    {
        // Before, NaN passed the range check and TimeSpan.FromHours aborted (ArgumentException, exit 134).
        var (exit, output) = await RunWebAsync(new Dictionary<string, string>(), "token", "--role", "national", "--hours", hours);
        Assert.True(exit == 2, $"exit {exit}:\n{output}");
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.Contains($"--hours '{hours}': 0.1 から 720 までの数を指定してください / must be a number from 0.1 to 720.", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("false", 3, "refused in the Production environment")]
    [InlineData("yes", 2, "--allow-production 'yes': true か false を指定してください / must be true or false.")]
    public async Task The_token_command_in_Production_takes_only_true_as_allowing_it(string allow, int expectedExit, string said)
    {
        // Before, any value counted: "--allow-production false" printed a token in Production.
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            "token", "--role", "national", "--allow-production", allow);
        Assert.True(exit == expectedExit, $"exit {exit}:\n{output}");
        Assert.Contains(said, output, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", output, StringComparison.Ordinal); // no JWT printed
    }

    [Theory]
    [InlineData("ASPNETCORE_URLS", "http://127.0.0.1:{0}", "ASPNETCORE_URLS (urls) 'http://127.0.0.1:{0}'")]
    [InlineData("ASPNETCORE_URLS", "http://localhost:{0}", "ASPNETCORE_URLS (urls) 'http://localhost:{0}'")]
    [InlineData("ASPNETCORE_HTTP_PORTS", "{0}", "ASPNETCORE_HTTP_PORTS (http_ports) 'http://*:{0}'")]
    [InlineData("Kestrel__Endpoints__Web__Url", "http://127.0.0.1:{0}", "Kestrel:Endpoints:Web:Url 'http://127.0.0.1:{0}'")]
    public async Task A_web_port_in_use_is_one_line_naming_the_setting_before_the_silo_starts(string variable, string value, string named)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string Format(string s) => string.Format(System.Globalization.CultureInfo.InvariantCulture, s, port);
        var settings = new Dictionary<string, string> { [variable] = Format(value) };
        if (variable != "ASPNETCORE_URLS")
        {
            settings["ASPNETCORE_URLS"] = ""; // only the setting under test names an address
        }

        var (exit, output) = await RunWebAsync(settings);

        // Refused before the co-hosted silo started: before, Kestrel found the port taken only after the silo had joined,
        // and the silo's shutdown logged faults with stacks above the refusal.
        AssertRefused(exit, output, Format(named));
        Assert.DoesNotContain("Silo shutdown", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Readiness__SiloPort", "Readiness:SiloPort")]
    [InlineData("Readiness__GatewayPort", "Readiness:GatewayPort")]
    public async Task A_silo_or_gateway_port_another_server_listens_on_is_refused_though_Orleans_would_share_it(string variable, string setting)
    {
        // Listening as Orleans does (ReuseAddress: SO_REUSEADDR and SO_REUSEPORT on Linux), which let a second server
        // bind the same port beside it before.
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var (exit, output) = await RunWebAsync(new Dictionary<string, string> { [variable] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        AssertRefused(exit, output, $"{setting} = {port}: このポートは 127.0.0.1 で使用中です");
        AssertBilingual(output);
    }

    [Fact]
    public async Task A_server_started_from_another_folder_reads_its_own_appsettings()
    {
        // A service unit without WorkingDirectory: before, the content root was the current folder, so appsettings.json
        // was not read (no console timestamps, the framework's log levels, none of its settings).
        var elsewhere = Directory.CreateTempSubdirectory("readiness-cwd-").FullName;
        try
        {
            var start = WebProcess(new Dictionary<string, string>(), Directory.CreateTempSubdirectory("readiness-start-").FullName);
            start.WorkingDirectory = elsewhere;
            using var process = Process.Start(start)!;
            var lines = new List<string>();
            string? listening = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                while (listening is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                {
                    lines.Add(line);
                    listening = line.Contains("Now listening on", StringComparison.Ordinal) ? lines[^2] + "\n" + line : null;
                }
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                Directory.Delete(start.Environment["Readiness__DataPath"]!, recursive: true);
            }

            Assert.True(listening is not null, string.Join('\n', lines));

            // appsettings.json's console format puts a UTC timestamp before each entry's level.
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info: Microsoft\.Hosting\.Lifetime", listening);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    /// <summary>
    /// Every line after 「起動できません / Cannot start: 」 says each thing in Japanese before its English: each part
    /// (" — " between a refusal and its detail, "; " between refusals) that has English has Japanese before it.
    /// </summary>
    private static void AssertBilingual(string output)
    {
        var line = output.Split('\n').Single(l => l.StartsWith("起動できません / Cannot start: ", StringComparison.Ordinal));
        var said = line["起動できません / Cannot start: ".Length..];
        // Refusals are joined by "; " (several of one options type) or " — " (several types); a piece without " / " is
        // the English sentence of the one before it going on.
        var refusals = new List<string>();
        foreach (var piece in said.Split(["; ", " — "], StringSplitOptions.RemoveEmptyEntries))
        {
            if (refusals.Count > 0 && !piece.Contains(" / ", StringComparison.Ordinal))
            {
                refusals[^1] += "; " + piece;
            }
            else
            {
                refusals.Add(piece);
            }
        }

        foreach (var refusal in refusals)
        {
            var japanese = refusal.IndexOfAny([.. refusal.Where(c => c is >= '\u3040' and <= '\u30FF' or >= '\u4E00' and <= '\u9FFF')]);
            var separator = refusal.IndexOf(" / ", StringComparison.Ordinal);
            Assert.True(japanese >= 0 && separator > japanese, $"not Japanese first, then English: '{refusal}' in\n{output}");
        }
    }

    private static void AssertRefused(int exit, string output, string named)
    {
        Assert.True(exit == 2, $"exit {exit}:\n{output}");
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);

        // Only the one line: no framework log of the failed start with the exception's stack above it.
        Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);

        // Nor the host's debug lines ("Hosting starting") that the filter above once let through past the configured level.
        Assert.DoesNotContain("dbug:", output, StringComparison.Ordinal);
        Assert.False(output.Contains("   at ", StringComparison.Ordinal), $"a stack trace in the output:\n{output}");
        var line = output.Split('\n').SingleOrDefault(l => l.StartsWith("起動できません / Cannot start: ", StringComparison.Ordinal));
        Assert.True(line is not null, output);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }

    /// <summary>Readiness.Web.dll on the data folder with its own silo ports and the settings, output redirected.</summary>
    private static ProcessStartInfo WebProcess(IDictionary<string, string> settings, string data, params string[] command)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Readiness.Web.dll"));
        foreach (var argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["Readiness__DataPath"] = data;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";

        // Ports of its own for the co-hosted silo: the defaults (11111, 30000) may be another process's on a shared machine.
        start.Environment["Readiness__SiloPort"] = Readiness.Testing.TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Readiness__GatewayPort"] = Readiness.Testing.TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>Runs Readiness.Web.dll (with <paramref name="command"/>, e.g. "backup") on a data folder of its own with the settings; stdout and stderr together.</summary>
    private static async Task<(int Exit, string Output)> RunWebAsync(IDictionary<string, string> settings, params string[] command)
    {
        var data = Path.Combine(Path.GetTempPath(), "readiness-start-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            return await RunWebInAsync(settings, data, command);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>Runs Readiness.Web.dll on <paramref name="data"/> (left in place, for the caller to look into) with the settings.</summary>
    internal static async Task<(int Exit, string Output)> RunWebInAsync(IDictionary<string, string> settings, string data, params string[] command)
    {
        var start = WebProcess(settings, data, command);
        start.WorkingDirectory = data; // a relative --from names a file there
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, "still running after 90 s (the setting was taken):\n" + await output + await error);
        }

        return (process.ExitCode, await output + await error);
    }
}

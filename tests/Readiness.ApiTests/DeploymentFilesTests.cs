using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Hosting;
using Readiness.Testing;
using Readiness.Web;
using Xunit;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Readiness.ApiTests;

/// <summary>
/// The deployment files (deploy/docker, deploy/kubernetes, deploy/monitoring) checked against the application itself:
/// every environment variable is a configuration key the product binds (or one the platform or Orleans' Kubernetes
/// hosting reads), every probe path answers on a running host, images, names, selectors, ports and secrets agree, the
/// alert rules pass promtool, and every metric the alerts and the Grafana dashboard query is one the product exports.
/// No container runtime or cluster exists on the build machine, so this is as far as the files can be proved here.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed partial class DeploymentFilesTests(ITestOutputHelper output)
{
    private static readonly string Root = RepositoryFolder.Root;

    [Fact]
    public void Every_environment_variable_in_the_deployment_files_is_a_real_configuration_key()
    {
        var names = KubernetesDocuments().SelectMany(d => Containers(d)).SelectMany(c => Sequence(c, "env")).Select(e => Scalar(e, "name")!)
            .Concat(ComposeServices().SelectMany(s => Mapping(s.Value, "environment")?.Children.Keys.Select(k => k.ToString()) ?? []).Where(k => k != "<<"))
            .Concat(Mapping(ComposeRoot(), "x-cluster-env")!.Children.Keys.Select(k => k.ToString()))
            .Concat(File.ReadAllLines(Path.Combine(Root, "deploy/docker/web.Dockerfile")).Concat(File.ReadAllLines(Path.Combine(Root, "deploy/docker/silo.Dockerfile")))
                .SelectMany(DockerfileEnv))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        output.WriteLine($"{names.Count} distinct variables: {string.Join(", ", names)}");
        Assert.True(names.Count >= 15, "the files set the product's configuration through the environment");
        var unknown = names.Where(n => !IsKnownKey(n)).ToList();
        Assert.True(unknown.Count == 0, $"not configuration keys of the product: {string.Join(", ", unknown)}");

        // The check itself can fail: misspelt keys are refused.
        Assert.False(IsKnownKey("Readiness__ConectionString"));
        Assert.False(IsKnownKey("Readiness__Auth__SigningKee"));
        Assert.False(IsKnownKey("Readiness__Backup__Interval__Days"));
        Assert.True(IsKnownKey("Readiness__Membership__ProbeTimeout"));
    }

    [Fact]
    public void Images_names_selectors_ports_and_secrets_agree()
    {
        var documents = KubernetesDocuments().ToList();
        var deployments = documents.Where(d => Scalar(d, "kind") == "Deployment").ToList();
        Assert.Equal(2, deployments.Count);
        var composeImages = ComposeServices().Select(s => Scalar(s.Value, "image")).OfType<string>().ToHashSet();
        var secretKeys = documents.Where(d => Scalar(d, "kind") == "Secret").SelectMany(d => Mapping(d, "stringData")!.Children.Keys.Select(k => k.ToString())).ToHashSet();
        Assert.NotEmpty(secretKeys);

        foreach (var deployment in deployments)
        {
            var name = Scalar(Mapping(deployment, "metadata")!, "name")!;
            var labels = Mapping(Mapping(Mapping(Mapping(deployment, "spec")!, "template")!, "metadata")!, "labels")!;
            var selector = Mapping(Mapping(Mapping(deployment, "spec")!, "selector")!, "matchLabels")!;
            Assert.True(Matches(selector, labels), $"{name}: selector does not match its pods");
            foreach (var container in Containers(deployment))
            {
                var image = Scalar(container, "image")!;
                Assert.Contains(image, composeImages);
                var dockerfile = File.ReadAllText(Path.Combine(Root, "deploy/docker", image.Contains("silo", StringComparison.Ordinal) ? "silo.Dockerfile" : "web.Dockerfile"));
                Assert.Contains($"-t {image} .", dockerfile, StringComparison.Ordinal);
                Assert.Contains("USER $APP_UID", dockerfile, StringComparison.Ordinal);
                Assert.Contains("ASPNETCORE_URLS=http://+:8080", dockerfile, StringComparison.Ordinal);
                var entry = EntrypointDll().Match(dockerfile).Groups[1].Value;
                var project = Path.GetFileNameWithoutExtension(entry);
                Assert.True(File.Exists(Path.Combine(Root, project.EndsWith("Silo", StringComparison.Ordinal) ? "silo" : "web", project, project + ".csproj")), $"{entry}: no such project");
                Assert.Contains($"\"/app/{entry}\", \"probe\", \"http://127.0.0.1:8080/health/ready\"", dockerfile, StringComparison.Ordinal);

                var ports = Sequence(container, "ports").ToDictionary(p => Scalar(p, "name")!, p => Scalar(p, "containerPort")!);
                Assert.Equal("8080", ports["http"]);
                foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
                {
                    if (Mapping(container, probe) is { } p)
                    {
                        Assert.Contains(Scalar(Mapping(p, "httpGet")!, "port")!, ports.Keys);
                    }
                }

                var security = Mapping(container, "securityContext")!;
                Assert.Equal("true", Scalar(security, "readOnlyRootFilesystem"));
                Assert.Equal("false", Scalar(security, "allowPrivilegeEscalation"));
                Assert.NotNull(Mapping(Mapping(container, "resources")!, "requests"));
                foreach (var env in Sequence(container, "env"))
                {
                    if (Mapping(env, "valueFrom") is { } from && Mapping(from, "secretKeyRef") is { } secret)
                    {
                        Assert.Contains(Scalar(secret, "key")!, secretKeys);
                    }
                }
            }
        }

        foreach (var service in documents.Where(d => Scalar(d, "kind") == "Service"))
        {
            var selector = Mapping(Mapping(service, "spec")!, "selector")!;
            var target = deployments.Single(d => Matches(selector, Mapping(Mapping(Mapping(Mapping(d, "spec")!, "template")!, "metadata")!, "labels")!));
            var portNames = Containers(target).SelectMany(c => Sequence(c, "ports")).Select(p => Scalar(p, "name")).ToHashSet();
            Assert.All(Sequence(Mapping(service, "spec")!, "ports"), p => Assert.Contains(Scalar(p, "targetPort"), portNames));
        }

        foreach (var budget in documents.Where(d => Scalar(d, "kind") == "PodDisruptionBudget"))
        {
            var selector = Mapping(Mapping(Mapping(budget, "spec")!, "selector")!, "matchLabels")!;
            Assert.Single(deployments, d => Matches(selector, Mapping(Mapping(Mapping(Mapping(d, "spec")!, "template")!, "metadata")!, "labels")!));
        }

        var hpa = documents.Single(d => Scalar(d, "kind") == "HorizontalPodAutoscaler");
        var scaled = Scalar(Mapping(Mapping(hpa, "spec")!, "scaleTargetRef")!, "name");
        Assert.Contains(deployments, d => Scalar(Mapping(d, "metadata")!, "name") == scaled && scaled!.EndsWith("web", StringComparison.Ordinal));

        var silo = deployments.Single(d => Scalar(Mapping(d, "metadata")!, "name")!.EndsWith("silo", StringComparison.Ordinal));
        var grace = int.Parse(Scalar(Mapping(Mapping(Mapping(silo, "spec")!, "template")!, "spec")!, "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(grace >= 60, "silos need time to deactivate their grains and leave the cluster");
    }

    [Fact]
    public async Task Probe_paths_answer_and_the_image_health_check_command_works_on_a_running_host()
    {
        using var folder = new TempFolder("readiness-deploy");
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        var paths = KubernetesDocuments().SelectMany(d => Containers(d))
            .SelectMany(c => new[] { "readinessProbe", "livenessProbe", "startupProbe" }.Select(p => Mapping(c, p)).OfType<YamlMappingNode>())
            .Select(p => Scalar(Mapping(p, "httpGet")!, "path")!)
            .Distinct().ToList();
        Assert.Equal(["/health/live", "/health/ready"], paths.Order(StringComparer.Ordinal));
        foreach (var path in paths)
        {
            var waited = Stopwatch.StartNew();
            HttpStatusCode status;
            while ((status = (await http.GetAsync(new Uri(path, UriKind.Relative))).StatusCode) != HttpStatusCode.OK && waited.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(250);
            }

            Assert.Equal(HttpStatusCode.OK, status);
        }

        using var said = new StringWriter();
        Assert.Equal(0, HealthProbeCommand.Run(["probe", new Uri(host.BaseAddress, "/health/ready").ToString()], said));
        Assert.Contains("\"description\"", said.ToString(), StringComparison.Ordinal); // run on the node, it prints why as well as the status
        Assert.Contains("\"storage\"", said.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, HealthProbeCommand.Run(["probe", $"http://127.0.0.1:{TestPorts.Free()}/health/ready"], said));
        Assert.Equal(2, HealthProbeCommand.Run(["probe"], said));
    }

    [Fact]
    public void The_alert_rules_pass_promtool_check_and_their_unit_tests()
    {
        var rules = Path.Combine(Root, "deploy/monitoring/alerts.yml");
        var (checkCode, check) = RunProcess("promtool", $"check rules {rules}");
        output.WriteLine(check);
        Assert.True(checkCode == 0, check);
        Assert.Contains("9 rules found", check, StringComparison.Ordinal);
        var (testCode, test) = RunProcess("promtool", $"test rules {Path.Combine(Root, "deploy/monitoring/alerts.test.yml")}");
        output.WriteLine(test);
        Assert.True(testCode == 0, test);
    }

    [Fact]
    public async Task Every_metric_the_alerts_and_the_Grafana_dashboard_query_is_exported_by_the_product()
    {
        // Every instrument the process publishes; this listener never enables one, so Instrument.Enabled says whether
        // the host's OpenTelemetry exporter subscribed to it (its meter is exported), even before a first measurement
        // puts it on /metrics (a failed delivery, a storage failure).
        var instruments = new List<Instrument>();
        using var listener = new MeterListener { InstrumentPublished = (i, _) => { lock (instruments) { instruments.Add(i); } } };
        listener.Start();

        // Instruments held in static fields exist once their type is first used (a delivery); make them exist now.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(Readiness.Web.Notifications.NotificationDispatcher).TypeHandle);

        using var folder = new TempFolder("readiness-metrics");
        await using var host = new ReadinessWebHost(folder.Path);
        using var national = host.CreateNationalClient();
        var waited = Stopwatch.StartNew();
        HttpStatusCode status;
        while ((status = (await national.GetAsync(new Uri("/api/v1/municipalities/131016", UriKind.Relative))).StatusCode) == HttpStatusCode.ServiceUnavailable && waited.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(500);
        }

        Assert.Equal(HttpStatusCode.OK, status);
        var exposition = await national.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        // The failure counters are on /metrics at 0 before their first event, so a rate, a panel and an alert have a
        // series to read from the start (not "no data" until something first goes wrong).
        // Each with the labels the alerts and the panels select (the series the code adds to), not an unlabelled twin.
        foreach (var series in new[] { @"readiness_reconciliations_pull_failures_total\{[^}]*level=""prefecture""[^}]*\}", @"readiness_reconciliations_pull_failures_total\{[^}]*level=""nation""[^}]*\}",
                     @"readiness_changes_rejected_total\{[^}]*reason=""invalid""[^}]*\}", @"readiness_storage_write_failures_total(\{[^}]*\})?",
                     @"readiness_storage_unreadable_states_total(\{[^}]*\})?", @"readiness_backups_failures_total(\{[^}]*\})?" })
        {
            Assert.Matches(new Regex("^" + series + " 0( |$)", RegexOptions.Multiline), exposition);
        }

        Assert.DoesNotMatch(new Regex(@"^readiness_reconciliations_pull_failures_total\{otel_scope_name=""Readiness""\} ", RegexOptions.Multiline), exposition);

        var exported = MetricName().Matches(exposition).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var scraped = exported.Count;
        lock (instruments)
        {
            exported.UnionWith(instruments.Where(i => i.Enabled).Select(PrometheusName));
            var notExported = instruments.Where(i => !i.Enabled && i.Meter.Name.StartsWith("Readiness", StringComparison.Ordinal)).Select(i => $"{i.Meter.Name}/{i.Name}").Distinct().ToList();
            output.WriteLine($"{scraped} metrics on /metrics, {exported.Count - scraped} more subscribed by the exporter; product instruments not exported: {(notExported.Count == 0 ? "none" : string.Join(", ", notExported))}");
        }

        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Root, "deploy/monitoring/grafana-dashboard.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .Concat(new YamlStream().Also(y => y.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "deploy/monitoring/alerts.yml"))))).Documents[0].AllNodes
                .OfType<YamlMappingNode>().Select(n => Scalar(n, "expr")).OfType<string>())
            .ToList();
        Assert.True(expressions.Count >= 15, $"{expressions.Count} expressions");
        var used = expressions.SelectMany(e => QueriedMetric().Matches(e).Select(m => m.Value)).Distinct().ToList();
        output.WriteLine($"{used.Count} metrics queried: {string.Join(", ", used)}");
        // The four kinds issue 17 asks alerts for and municipalities left out of the figures, each by the metric it watches,
        // and each alert's metric on a panel.
        var alerts = new YamlStream().Also(y => y.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "deploy/monitoring/alerts.yml"))))).Documents[0].AllNodes
            .OfType<YamlMappingNode>().Where(n => Scalar(n, "alert") is not null).ToDictionary(n => Scalar(n, "alert")!, n => Scalar(n, "expr")!);
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!)).ToList();
        foreach (var (kind, metric) in new[]
        {
            ("storage failures", "readiness_storage_write_failures_total"), ("write latency p99", "http_server_request_duration_seconds_bucket"),
            ("stale aggregates", "readiness_grain_calls_failed_total"), ("failed deliveries", "readiness_notifications_failed_total"),
            ("municipalities left out of the figures", "readiness_reconciliations_pull_failures_total"),
        })
        {
            Assert.True(alerts.Values.Any(e => e.Contains(metric, StringComparison.Ordinal)), $"no alert for {kind} ({metric})");
            Assert.True(panels.Any(e => e.Contains(metric, StringComparison.Ordinal)), $"no Grafana panel for {kind} ({metric})");
        }

        var missing = used.Where(m => !exported.Contains(m) && !exported.Contains(m + "_bucket") && !exported.Contains(m.Replace("_bucket", string.Empty, StringComparison.Ordinal) + "_bucket")).ToList();
        Assert.True(missing.Count == 0, $"queried but never exported: {string.Join(", ", missing)}");
    }

    private static string PrometheusName(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        return instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal) || instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal)
            ? name + "_total"
            : name;
    }

    /// <summary>
    /// A platform or Orleans variable, or a name the product's own check knows (<see cref="KnownSettings.Web"/>: the
    /// web tier's and the hosting options, one source for the fact that refuses an unknown name at start).
    /// </summary>
    private static bool IsKnownKey(string variable) =>
        PlatformVariables.Contains(variable) || OrleansKubernetesVariables.Value.Contains(variable)
        || (variable.StartsWith(ReadinessOptions.Section + "__", StringComparison.Ordinal) && Known.IsKnown(variable.Replace("__", ":", StringComparison.Ordinal)));

    private static readonly SettingNames Known = KnownSettings.Web();

    private static readonly HashSet<string> PlatformVariables = new(StringComparer.Ordinal)
    {
        "ASPNETCORE_URLS", "ASPNETCORE_ENVIRONMENT", "DOTNET_gcServer", "OTEL_EXPORTER_OTLP_ENDPOINT",
        "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", // the runtime's thread pool (System.Threading.ThreadPool.UnfairSemaphoreSpinLimit)
        // postgres:15 image
        "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD",
    };

    /// <summary>The variables Microsoft.Orleans.Hosting.Kubernetes reads, from its own constants.</summary>
    private static readonly Lazy<HashSet<string>> OrleansKubernetesVariables = new(() => typeof(Orleans.Hosting.KubernetesHostingExtensions).Assembly.GetTypes()
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Where(v => v.All(c => char.IsUpper(c) || c == '_'))
        .ToHashSet(StringComparer.Ordinal));

    private static IEnumerable<string> DockerfileEnv(string line) =>
        DockerEnv().Matches(line).Select(m => m.Groups[1].Value);

    private static IEnumerable<YamlMappingNode> KubernetesDocuments()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "deploy/kubernetes"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            foreach (var document in stream.Documents)
            {
                yield return (YamlMappingNode)document.RootNode;
            }
        }
    }

    private static YamlMappingNode ComposeRoot()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "deploy/docker/compose.yaml"))));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static IEnumerable<KeyValuePair<YamlNode, YamlNode>> ComposeServices() => Mapping(ComposeRoot(), "services")!.Children;

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode document) =>
        Scalar(document, "kind") == "Deployment"
            ? Sequence(Mapping(Mapping(Mapping(document, "spec")!, "template")!, "spec")!, "containers")
            : [];

    private static bool Matches(YamlMappingNode selector, YamlMappingNode labels) =>
        selector.Children.All(s => labels.Children.TryGetValue(s.Key, out var v) && v.ToString() == s.Value.ToString());

    private static YamlMappingNode? Mapping(YamlNode node, string key) =>
        node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v as YamlMappingNode : null;

    private static IEnumerable<YamlMappingNode> Sequence(YamlNode node, string key) =>
        node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlSequenceNode s ? s.Children.OfType<YamlMappingNode>() : [];

    private static string? Scalar(YamlNode node, string key) =>
        node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static (int Code, string Output) RunProcess(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, text);
    }

    [GeneratedRegex(@"ENTRYPOINT \[""dotnet"", ""/app/([A-Za-z.]+\.dll)""\]")]
    private static partial Regex EntrypointDll();

    [GeneratedRegex(@"(?:^ENV |^\s+)([A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex DockerEnv();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", RegexOptions.Multiline)]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\b(?:readiness|http_server|orleans|dotnet|kestrel)_[a-z0-9_]+\b")]
    private static partial Regex QueriedMetric();
}

internal static class YamlStreamExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Readiness.Hosting;
using Readiness.Web;
using Xunit;
using Readiness.Testing;

namespace Readiness.Tests.Hosting;

/// <summary>
/// The names under "Readiness" a process knows (<see cref="SettingNames"/>): a misspelt one is refused with the name it
/// probably meant, and every name the documentation, deployment files, tests and appsettings use is known.
/// </summary>
public sealed partial class SettingNamesTests
{
    private static readonly SettingNames Web = KnownSettings.Web();

    [Theory]
    [InlineData("Readiness:DataPth", "Readiness:DataPath")]
    [InlineData("Readiness:ConectionString", "Readiness:ConnectionString")]
    [InlineData("Readiness:Auth:SigningKee", "Readiness:Auth:SigningKey")]
    [InlineData("Readiness:Backup:Retian", "Readiness:Backup:Retain")]
    [InlineData("Readiness:Smtp:Prot", "Readiness:Smtp:Port")]
    [InlineData("Readiness:RateLimits:WritesPerMinut", "Readiness:RateLimits:WritesPerMinute")]
    public void A_misspelt_name_is_refused_naming_the_setting_it_probably_meant(string key, string meant)
    {
        var problem = Assert.Single(Web.Problems(Configuration((key, "x"))));
        Assert.Contains($"{key} is not a setting; did you mean {meant}?", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_near_nothing_is_refused_without_a_guess()
    {
        var problem = Assert.Single(Web.Problems(Configuration(("Readiness:Colour", "blue"))));
        Assert.Contains("Readiness:Colour is not a setting", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("did you mean", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_child_of_a_scalar_setting_is_refused()
    {
        Assert.Single(Web.Problems(Configuration(("Readiness:Backup:Interval:Days", "1"))));
    }

    [Theory]
    [InlineData("Readiness:DataPath")]
    [InlineData("readiness:datapath")] // configuration ignores case, so the check does
    [InlineData("Readiness:Backup:Retain")]
    [InlineData("Readiness:Auth:Authority")] // ReadinessAuthOptions
    [InlineData("Readiness:Auth:RequireMfa")] // AccountOptions, the same section
    [InlineData("Readiness:Auth:AllowTokenCommandInProduction")] // read directly, a …Key constant
    [InlineData("Readiness:Clients:RequireHttps")]
    [InlineData("Readiness:Identity:Oidc:ClientSecret")]
    [InlineData("Readiness:Membership:ProbeTimeout")] // Orleans' ClusterMembershipOptions
    [InlineData("Readiness:GrainCalls:Deadline")]
    [InlineData("Readiness:Summaries:CallTimeout")]
    [InlineData("Readiness:Planning:Trials")]
    [InlineData("Readiness:Notifications:DigestTime")]
    [InlineData("Readiness:Webhooks:Proxy")]
    [InlineData("Readiness:Proxy:ForwardLimit")]
    [InlineData("Readiness:Health:Details")]
    [InlineData("Readiness:Metrics:AllowedNetworks")]
    public void Every_bound_property_is_known(string key)
    {
        Assert.True(Web.IsKnown(key), key);
        Assert.Empty(Web.Problems(Configuration((key, "1"))));
    }

    [Fact]
    public void A_list_valued_setting_takes_any_child_key()
    {
        var names = new SettingNames().Add("Sample", typeof(Sample));
        Assert.True(names.IsKnown("Sample:Tags:0"));
        Assert.True(names.IsKnown("Sample:Limits:anything"));
        Assert.True(names.IsKnown("Sample:Inner:Count"));
        Assert.False(names.IsKnown("Sample:Inner:Cuont"));
        Assert.False(names.IsKnown("Sample:ReadOnly")); // a scalar without a setter is never bound
    }

    [Fact]
    public void The_silo_judges_its_own_sections_and_leaves_the_web_tiers_to_the_web_nodes()
    {
        var silo = SettingNames.Silo();
        var configuration = Configuration(("Readiness:Auth:SigningKey", "k"), ("Readiness:Smtp:Host", "mail"), ("Readiness:DataPth", "/x"), ("Readiness:GrainCalls:Deadlin", "00:00:30"));
        var problems = silo.Problems(configuration, onlyOwnSections: true).ToList();
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("did you mean Readiness:DataPath?", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("did you mean Readiness:GrainCalls:Deadline?", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("DataPth", "DataPath", 1)]
    [InlineData("DataPath", "DATAPATH", 6)] // the distance is exact; callers compare upper-cased
    [InlineData("Retian", "Retain", 1)] // a transposition is one edit
    [InlineData("", "abc", 3)]
    public void Distance_counts_single_edits(string a, string b, int distance) => Assert.Equal(distance, SettingNames.Distance(a, b));

    /// <summary>
    /// Every "Readiness__…" and "Readiness:…" name in the documentation, deployment and CI files, the tests and load
    /// tests, and the keys of every appsettings file: a rename that leaves them behind would refuse their start.
    /// </summary>
    [Fact]
    public void Every_setting_named_in_the_docs_deployment_tests_and_appsettings_is_known()
    {
        var root = RepositoryFolder.Root;
        var files = Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
            .Concat(new[] { "deploy", ".ci", "tests", "loadtests" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*", SearchOption.AllDirectories)))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}.git{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        var named = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (Match match in SettingName().Matches(File.ReadAllText(file)))
            {
                var name = match.Value.Replace("__", ":", StringComparison.Ordinal).TrimEnd(':', '_');
                if (!DeliberatelyWrong.Contains(name))
                {
                    named.Add(name);
                }
            }
        }

        foreach (var appsettings in Directory.EnumerateFiles(Path.Combine(root, "web"), "appsettings*.json", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "silo"), "appsettings*.json", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var configuration = new ConfigurationBuilder().AddJsonFile(appsettings).Build();
            foreach (var (key, value) in configuration.GetSection(ReadinessOptions.Section).AsEnumerable())
            {
                if (value is not null)
                {
                    named.Add(key);
                }
            }
        }

        Assert.True(named.Count >= 60, $"only {named.Count} names found: {string.Join(", ", named)}");
        var unknown = named.Where(n => !Web.IsKnown(n)).ToList();
        Assert.True(unknown.Count == 0, "named but not known: " + string.Join(", ", unknown));
    }

    /// <summary>Placeholders and the misspellings tests use on purpose to prove a check refuses them.</summary>
    private static readonly HashSet<string> DeliberatelyWrong = new(StringComparer.Ordinal)
    {
        "Readiness:X", "Readiness:Key", "Readiness:Foo", "Readiness:Auth:Foo", "Readiness:Colour",
        "Readiness:DataPth", "Readiness:ConectionString", "Readiness:Auth:SigningKee", "Readiness:Backup:Interval:Days",
        "Readiness:Backup:Retian", "Readiness:Smtp:Prot", "Readiness:RateLimits:WritesPerMinut", "Readiness:GrainCalls:Deadlin",
    };

    [GeneratedRegex(@"\bReadiness(?:__|:)[A-Za-z][A-Za-z0-9_:]*")]
    private static partial Regex SettingName();

    [Theory]
    [InlineData("Readiness:Proxy:ForwardLimit", "abc", typeof(Readiness.Web.ProxyOptions), "Readiness:Proxy")]
    [InlineData("Readiness:Proxy:ForwardLimit", "", typeof(Readiness.Web.ProxyOptions), "Readiness:Proxy")]
    [InlineData("Readiness:Proxy:ForwardLimit", "99999999999", typeof(Readiness.Web.ProxyOptions), "Readiness:Proxy")]
    [InlineData("Readiness:Proxy:ForwardLimit", " 2 ", typeof(Readiness.Web.ProxyOptions), "Readiness:Proxy")]
    [InlineData("Readiness:ReconcileInterval", "5m", typeof(ReadinessOptions), "Readiness")]
    [InlineData("Readiness:ReconcileInterval", "00:10:00", typeof(ReadinessOptions), "Readiness")]
    [InlineData("Readiness:Backup:Interval", "", typeof(ReadinessOptions), "Readiness")]
    [InlineData("Readiness:Backup:Interval", "daily", typeof(ReadinessOptions), "Readiness")]
    [InlineData("Readiness:Mode", "cluster", typeof(ReadinessOptions), "Readiness")]
    [InlineData("Readiness:Mode", "Clustr", typeof(ReadinessOptions), "Readiness")]
    [InlineData("Readiness:WarmUp", "flase", typeof(ReadinessOptions), "Readiness")]
    [InlineData("Readiness:WarmUp", "TRUE", typeof(ReadinessOptions), "Readiness")]
    [InlineData("Readiness:Notifications:DigestTime", "25:00", typeof(Readiness.Web.Notifications.NotificationOptions), "Readiness:Notifications")]
    [InlineData("Readiness:Notifications:DigestTime", "08:30", typeof(Readiness.Web.Notifications.NotificationOptions), "Readiness:Notifications")]
    [InlineData("Readiness:Planning:UnreadableRecheckSeconds", "1,5", typeof(Readiness.Web.Planning.PlanningOptions), "Readiness:Planning")]
    [InlineData("Readiness:Membership:ProbeTimeout", "soon", typeof(Orleans.Configuration.ClusterMembershipOptions), "Readiness:Membership")]
    public void A_value_is_refused_exactly_when_the_binder_cannot_take_it_and_then_named_in_both_languages(string key, string value, Type options, string section)
    {
        // The same converter as the binder's: a value it throws on is refused, naming the key and the value, Japanese
        // first, instead of its English "Failed to convert configuration value"; a value it takes is not.
        var configuration = Configuration((key, value));
        var binderRefuses = false;
        try
        {
            configuration.GetSection(section).Get(options);
        }
        catch (InvalidOperationException)
        {
            binderRefuses = true;
        }

        var problems = Web.ValueProblems(configuration).ToList();
        Assert.True(binderRefuses == (problems.Count == 1), $"binder refuses: {binderRefuses}; problems: {string.Join(" | ", problems)}");
        if (binderRefuses)
        {
            Assert.StartsWith($"{key} = '{value}': ", problems[0], StringComparison.Ordinal);
            Assert.Matches(@"^[^/]*[\p{IsHiragana}\p{IsKatakana}\p{IsCJKUnifiedIdeographs}][^/]* / [ -~]+$", problems[0][(key.Length + value.Length + 7)..]);
        }
    }

    [Fact]
    public void A_number_that_names_no_value_of_an_enum_is_refused_though_the_binder_takes_it()
    {
        var problem = Assert.Single(Web.ValueProblems(Configuration(("Readiness:Mode", "5"))));
        Assert.Equal("Readiness:Mode = '5': Embedded, Cluster のいずれかを指定してください / must be one of Embedded, Cluster.", problem);
        Assert.Empty(Web.ValueProblems(Configuration(("Readiness:Mode", "1"))));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private sealed class Sample
    {
        public List<string> Tags { get; set; } = [];

        public Dictionary<string, int> Limits { get; } = [];

        public SampleInner Inner { get; } = new();

        public string ReadOnly => "fixed";
    }

    private sealed class SampleInner
    {
        public int Count { get; set; }
    }
}

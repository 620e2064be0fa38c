using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Components;

namespace Readiness.Tests.Web;

/// <summary>
/// One concept, one name (a breaker's finding: ベンダ and 事業者名, 本番稼働予定日 and 稼働予定日, フェーズを戻す理由 and
/// 後退理由, 根拠・証跡 and 根拠, 状態 and 対応状況 for the same fields across the pages, the Excel template and the
/// messages). <see cref="Vocabulary"/> holds the words; these tests hold the table against the domain's words and every
/// surface against the table, and scan the sources for the words it retired.
/// </summary>
public sealed class VocabularyTests
{
    /// <summary>
    /// The domain's words, verbatim from domain.md (the shared domain description, not in this repository): "Per system,
    /// a municipality reports", the checklist's status line and "Words the product should use the same way everywhere".
    /// </summary>
    private const string Domain = """
        Per system, a municipality reports: phase, planned go-live date, vendor (app provider), hosting (government_cloud,
        other_cloud, on_premises), not_applicable, and the 特定移行支援システム designation with its reason
        (mainframe, custom_built, no_standard_product, vendor_capacity, other) and its own target date.
        Security checklist: 47 items in the 9 chapters, each with the responsible party (municipality, csp, app_vendor, shared)
        Status per item: not_assessed, not_implemented, partial, implemented, not_applicable; plus evidence (a note or link)
        and when it was last reviewed.
        Migration phase: an ordered model from not_started to legacy_decommissioned. Moving backwards happens (a vendor
        withdraws, a test fails) and must carry a reason; it is a regression, worth an alert.
        designated: 特定移行支援システム. past target: designated and its own target date has passed.
        regression: a phase moved backwards.
        A new installation should start from this public baseline, labelled with its sources and dates.
        Synthetic data (Bogus) is for tests, load tests and an explicit demo mode, and is always labelled synthetic.
        """;

    /// <summary>Each term and the domain's word it renders in English.</summary>
    public static TheoryData<string, string> DomainWords => new()
    {
        { nameof(Vocabulary.Phase), "phase" },
        { nameof(Vocabulary.PlannedGoLive), "planned go-live date" },
        { nameof(Vocabulary.Vendor), "vendor" },
        { nameof(Vocabulary.Hosting), "hosting" },
        { nameof(Vocabulary.CloudProvider), "csp" },
        { nameof(Vocabulary.NotApplicable), "not applicable" },
        { nameof(Vocabulary.Designated), "designated" },
        { nameof(Vocabulary.DesignationReason), "reason" },
        { nameof(Vocabulary.DesignationTarget), "target date" },
        { nameof(Vocabulary.PastTarget), "past target" },
        { nameof(Vocabulary.Regression), "regression" },
        { nameof(Vocabulary.RegressionReason), "regression" },
        { nameof(Vocabulary.SecurityStatus), "status" },
        { nameof(Vocabulary.Evidence), "evidence" },
        { nameof(Vocabulary.LastReviewed), "last reviewed" },
    };

    [Theory]
    [MemberData(nameof(DomainWords))]
    public void The_english_of_each_term_is_the_domains_word(string name, string word)
    {
        var term = Vocabulary.All.Single(t => t.Name == name).Term;
        Assert.Contains(word, Domain.Replace('_', ' ').ToLowerInvariant(), StringComparison.Ordinal);
        Assert.Contains(word, term.En.ToLowerInvariant(), StringComparison.Ordinal);
        Assert.Contains(word, term.ShortEn.ToLowerInvariant(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_concept_has_its_own_name_and_no_term_uses_a_retired_word()
    {
        var terms = Vocabulary.All.Select(t => t.Term).ToList();
        Assert.Equal(terms.Count, terms.Select(t => t.Ja).Distinct().Count());
        Assert.Equal(terms.Count, terms.Select(t => t.En).Distinct().Count());
        foreach (var retired in terms.Where(t => t.Retired is not null).Select(t => new Regex(t.Retired!)))
        {
            Assert.All(terms, t => Assert.False(retired.IsMatch(t.Ja) || retired.IsMatch(t.ShortJa) || retired.IsMatch(t.En), $"{t.Ja} uses a retired word ({retired})"));
        }

        Assert.Contains(Vocabulary.OriginOf(DataOrigin.PublicBaseline).En.ToLowerInvariant(), Domain, StringComparison.Ordinal);
        Assert.Contains("synthetic", Vocabulary.OriginOf(DataOrigin.Synthetic).En.ToLowerInvariant(), StringComparison.Ordinal);
    }

    /// <summary>The template's header of each field (wire name) is the field's term, in full.</summary>
    public static TheoryData<string, string> TemplateFields => new()
    {
        { "phase", nameof(Vocabulary.Phase) }, { "plannedGoLive", nameof(Vocabulary.PlannedGoLive) }, { "vendor", nameof(Vocabulary.Vendor) },
        { "hosting", nameof(Vocabulary.Hosting) }, { "notApplicable", nameof(Vocabulary.NotApplicable) }, { "designated", nameof(Vocabulary.Designated) },
        { "designationReason", nameof(Vocabulary.DesignationReason) }, { "designationTarget", nameof(Vocabulary.DesignationTarget) },
        { "regressionReason", nameof(Vocabulary.RegressionReason) }, { "status", nameof(Vocabulary.SecurityStatus) },
        { "evidence", nameof(Vocabulary.Evidence) }, { "lastReviewed", nameof(Vocabulary.LastReviewed) },
    };

    [Theory]
    [MemberData(nameof(TemplateFields))]
    public void The_template_and_the_change_history_name_each_field_by_its_term(string field, string name)
    {
        var term = Vocabulary.All.Single(t => t.Name == name).Term;
        var column = ReportingTemplate.SystemColumns.Concat(ReportingTemplate.SecurityColumns).Single(c => c.Field == field);
        Assert.Equal((term.Ja, term.En), (column.HeaderJa, column.HeaderEn));
        Assert.Equal(term.Ja, Text("ja").FieldLabel(field));
        Assert.Equal(term.En, Text("en").FieldLabel(field));
    }

    [Fact]
    public void Phases_and_origins_are_said_in_the_tables_words()
    {
        foreach (var phase in Enum.GetValues<MigrationPhase>())
        {
            var term = Vocabulary.PhaseOf(phase);
            Assert.Equal(term.ShortJa, Text("ja").PhaseShort(Wire.Name(phase)));
            Assert.Equal(term.ShortEn, Text("en").PhaseShort(Wire.Name(phase)));
            Assert.Equal(term.Ja, ReportingTemplate.PhaseLabel(phase));
            Assert.True(term.ShortJa.Length <= term.Ja.Length, $"{phase}: the short form is longer than the full one");
        }

        foreach (var origin in Enum.GetValues<DataOrigin>())
        {
            Assert.Equal(Vocabulary.OriginOf(origin).Ja, Text("ja").Origin(Wire.Name(origin)));
            Assert.Equal(Vocabulary.OriginOf(origin).En, Text("en").Origin(Wire.Name(origin)));
        }
    }

    [Fact]
    public void The_problem_details_name_the_field_by_its_term()
    {
        var record = Baseline.Create("131016", new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var today = new DateOnly(2026, 11, 25);
        var request = new ChangeRequest
        {
            RequestId = "vocabulary",
            Actor = Actor.System,
            Systems = [new SystemChange { BusinessId = "koseki", PlannedGoLive = new DateOnly(1999, 1, 1), Vendor = "株式会社\u200Bサンプル" }],
            Security = [new SecurityChange { ItemId = record.Security[0].ItemId, Status = SecurityStatus.Implemented, Evidence = "https://exa mple" }],
        };
        var errors = ChangeRules.Validate(request, record, today);
        string Message(string member) => errors.Single(e => e.Field.EndsWith(member, StringComparison.Ordinal)).MessageJa;
        Assert.StartsWith(Vocabulary.PlannedGoLive.ShortJa, Message("plannedGoLive"), StringComparison.Ordinal);
        Assert.StartsWith(Vocabulary.Vendor.ShortJa + "に", Message("vendor"), StringComparison.Ordinal);
        Assert.StartsWith(Vocabulary.Evidence.ShortJa + "の", Message("evidence"), StringComparison.Ordinal);
    }

    /// <summary>
    /// No page, template, message or document shows a word the table retired (each term's <see cref="Term.Retired"/>):
    /// the .razor and .cs files of web/ and silo/ (but the table itself), README.md and docs/*.md.
    /// </summary>
    [Fact]
    public void No_source_shows_a_retired_word()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Readiness.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var files = new[] { "web", "silo" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root.FullName, d), "*.*", SearchOption.AllDirectories))
            .Where(f => (f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(f) != "Vocabulary.cs")
            .Concat(Directory.EnumerateFiles(Path.Combine(root.FullName, "docs"), "*.md"))
            .Append(Path.Combine(root.FullName, "README.md"))
            .ToList();
        Assert.Contains(files, f => f.EndsWith("EditPanel.razor", StringComparison.Ordinal));

        var found = new List<string>();
        foreach (var (name, term) in Vocabulary.All.Where(t => t.Term.Retired is not null))
        {
            var retired = new Regex(term.Retired!);
            foreach (var file in files)
            {
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (retired.Match(lines[i]) is { Success: true } m)
                    {
                        found.Add($"{Path.GetRelativePath(root.FullName, file)}:{i + 1}: 「{m.Value}」 for {name} ({term.Ja})");
                    }
                }
            }
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    private static UiText Text(string language)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Cookie = $"{UiText.Cookie}={language}";
        return new UiText(new HttpContextAccessor { HttpContext = http });
    }
}

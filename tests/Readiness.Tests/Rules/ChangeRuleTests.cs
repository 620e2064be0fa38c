using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

public sealed class ChangeRuleTests
{
    private static readonly DateOnly Today = new(2026, 11, 25);
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly Actor Staff = new("tanaka@example.lg.jp", Role.Municipality, "131016");

    private static MunicipalityRecord Current()
    {
        var r = Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance);
        // Reported by the municipality itself: a move below its phase is a regression (below an estimate it is not).
        return r with { Systems = r.Systems.SetItem(0, r.Systems[0] with { Phase = MigrationPhase.Contract, ReportedAt = Now.AddDays(-10) }) };
    }

    /// <summary>千代田区 as the public baseline seeds it: 印鑑登録 in production from the PMO step share, never reported.</summary>
    private static MunicipalityRecord Estimated()
    {
        var r = Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance);
        var i = r.Systems.IndexOf(r.FindSystem("seal_registration")!);
        return r with { Systems = r.Systems.SetItem(i, r.Systems[i] with { Phase = MigrationPhase.InProduction, BaselineStepCompletion = 1m }) };
    }

    [Fact]
    public void A_move_below_an_estimate_never_reported_corrects_it_and_is_no_regression()
    {
        var current = Estimated();
        var before = current.FindSystem("seal_registration")!;
        Assert.True(ReadinessRules.IsEstimate(before));
        Assert.Equal(PhaseMove.EstimateCorrected, ReadinessRules.MoveOf(before, MigrationPhase.NotStarted));
        Assert.Equal(PhaseMove.NotBack, ReadinessRules.MoveOf(before, MigrationPhase.InProduction));

        // No reason needed, not flagged, and the history says it corrected the estimate.
        var request = Request([new SystemChange { BusinessId = "seal_registration", Phase = MigrationPhase.NotStarted }]);
        Assert.Empty(ChangeRules.Validate(request, current, Today));
        var (next, entries) = ChangeRules.Apply(current, request, Now);
        var after = next.FindSystem("seal_registration")!;
        Assert.Equal(MigrationPhase.NotStarted, after.Phase);
        Assert.False(after.Regression);
        Assert.Null(after.RegressionReason);
        Assert.False(ReadinessRules.Evaluate(after, Today).Regression);
        Assert.Equal(0, ReadinessRules.Summarize(next, Today).RegressionSystems);
        var entry = Assert.Single(entries);
        Assert.Equal(Staff, entry.Actor);
        Assert.Contains(new AuditField("phase", "in_production"), entry.BeforeFields);
        Assert.Contains(new AuditField("phase", "not_started"), entry.AfterFields);
        Assert.Contains(new AuditField("regression", "false", IsFlag: true), entry.AfterFields);
        Assert.Contains(new AuditField(AuditFields.EstimateCorrected, "true", IsFlag: true), entry.AfterFields);
        Assert.DoesNotContain(entry.BeforeFields, f => f.Name == AuditFields.EstimateCorrected);

        // Once reported, the phase is the municipality's own: moving back from it is a regression again.
        Assert.Equal(PhaseMove.Regression, ReadinessRules.MoveOf(after with { Phase = MigrationPhase.Testing }, MigrationPhase.NotStarted));
        var (tested, _) = ChangeRules.Apply(next, Request([new SystemChange { BusinessId = "seal_registration", Phase = MigrationPhase.Testing }], requestId: "r-2"), Now);
        var back = Request([new SystemChange { BusinessId = "seal_registration", Phase = MigrationPhase.NotStarted }], requestId: "r-3");
        Assert.Equal("systems[seal_registration].reason", Assert.Single(ChangeRules.Validate(back, tested, Today)).Field);
    }

    [Fact]
    public void A_move_below_a_phase_the_municipality_reported_needs_a_reason_and_is_a_regression()
    {
        var current = Current();
        Assert.Equal(PhaseMove.Regression, ReadinessRules.MoveOf(current.Systems[0], MigrationPhase.NotStarted));
        var request = Request([new SystemChange { BusinessId = current.Systems[0].BusinessId, Phase = MigrationPhase.NotStarted, Reason = "入札不調" }]);
        var (next, entries) = ChangeRules.Apply(current, request, Now);
        Assert.True(next.Systems[0].Regression);
        Assert.DoesNotContain(Assert.Single(entries).AfterFields, f => f.Name == AuditFields.EstimateCorrected);
    }

    private static ChangeRequest Request(SystemChange[]? systems = null, SecurityChange[]? security = null, string requestId = "r-1") => new()
    {
        RequestId = requestId,
        Actor = Staff,
        Systems = systems is null ? [] : [.. systems],
        Security = security is null ? [] : [.. security],
    };

    public static TheoryData<string, ChangeRequest> BadRequests() => new()
    {
        { "report", Request() },
        { "requestId", Request([new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing }], requestId: "") },
        { "requestId", Request([new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing }], requestId: new string('x', 101)) },
        { "systems[0].businessId", Request([new SystemChange { BusinessId = "jumin" }]) },
        { "systems[koseki].businessId", Request([new SystemChange { BusinessId = "koseki" }, new SystemChange { BusinessId = "koseki" }]) },
        { "systems[child_allowance].reason", Request([new SystemChange { BusinessId = "child_allowance", Phase = MigrationPhase.FitGap }]) },
        { "systems[child_allowance].reason", Request([new SystemChange { BusinessId = "child_allowance", Phase = MigrationPhase.FitGap, Reason = "  " }]) },
        { "systems[koseki].phase", Request([new SystemChange { BusinessId = "koseki", Phase = (MigrationPhase)42 }]) },
        { "systems[koseki].hosting", Request([new SystemChange { BusinessId = "koseki", Hosting = (HostingKind)9 }]) },
        { "systems[koseki].cloudProvider", Request([new SystemChange { BusinessId = "koseki", Hosting = HostingKind.GovernmentCloud, CloudProvider = (CloudProvider)9 }]) },
        { "systems[koseki].cloudProvider", Request([new SystemChange { BusinessId = "koseki", Hosting = HostingKind.OnPremises, CloudProvider = CloudProvider.Aws }]) },
        { "systems[koseki].cloudProvider", Request([new SystemChange { BusinessId = "koseki", CloudProvider = CloudProvider.SakuraCloud }]) },
        { "systems[koseki].plannedGoLive", Request([new SystemChange { BusinessId = "koseki", PlannedGoLive = new DateOnly(1999, 12, 31) }]) },
        { "systems[koseki].plannedGoLive", Request([new SystemChange { BusinessId = "koseki", PlannedGoLive = new DateOnly(2041, 1, 1) }]) },
        { "systems[koseki].designation.reason", Request([new SystemChange { BusinessId = "koseki", Designation = new DesignationInput(null, new DateOnly(2029, 3, 31)) }]) },
        { "systems[koseki].designation.targetDate", Request([new SystemChange { BusinessId = "koseki", Designation = new DesignationInput(DesignationReason.Mainframe, null) }]) },
        { "systems[koseki].designation.targetDate", Request([new SystemChange { BusinessId = "koseki", Designation = new DesignationInput(DesignationReason.Mainframe, new DateOnly(2099, 1, 1)) }]) },
        { "systems[koseki].vendor", Request([new SystemChange { BusinessId = "koseki", Vendor = new string('ア', 101) }]) },
        { "systems[koseki].vendor", Request([new SystemChange { BusinessId = "koseki", Vendor = "ベンダー\u0000" }]) },
        { "systems[koseki].reason", Request([new SystemChange { BusinessId = "koseki", Reason = new string('理', 501) }]) },
        { "security[0].itemId", Request(security: [new SecurityChange { ItemId = "SEC-99-01", Status = SecurityStatus.Implemented }]) },
        { "security[SEC-1-01].itemId", Request(security: [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented }, new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Partial }]) },
        { "security[SEC-1-01].status", Request(security: [new SecurityChange { ItemId = "SEC-1-01" }]) },
        { "security[SEC-1-01].status", Request(security: [new SecurityChange { ItemId = "SEC-1-01", Status = (SecurityStatus)7 }]) },
        { "security[SEC-1-01].evidence", Request(security: [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = new string('e', 1001) }]) },
        { "security[SEC-1-01].evidence", Request(security: [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = "https://exa mple" }]) },
        { "security[SEC-1-01].lastReviewed", Request(security: [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, LastReviewed = Today.AddDays(1) }]) },
        { "security[SEC-1-01].lastReviewed", Request(security: [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, LastReviewed = new DateOnly(2019, 12, 31) }]) },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Each_bad_request_names_the_field_at_fault(string field, ChangeRequest request)
    {
        var errors = ChangeRules.Validate(request, Current(), Today);
        Assert.Contains(errors, e => e.Field == field);
        Assert.All(errors, e =>
        {
            Assert.False(string.IsNullOrWhiteSpace(e.MessageJa));
            Assert.False(string.IsNullOrWhiteSpace(e.MessageEn));
        });
    }

    /// <summary>
    /// A stored value the request keeps is not judged again (a breaker's finding: systems the public baseline lists as
    /// designated, without reason or target, refused every update, even a vendor's, naming members the request did not
    /// touch). Each stored value here is one a report may not give; the request changes something else, or sends it back as stored.
    /// </summary>
    public static TheoryData<string, SystemStatus, SystemChange> KeptStoredValues() => new()
    {
        { "designation without reason or target", new SystemStatus { BusinessId = "koseki", Designated = true }, new SystemChange { BusinessId = "koseki", Vendor = "X社", Omitted = ["phase", "plannedGoLive", "hosting", "notApplicable", "designated", "designationReason", "designationTarget", "regressionReason", "cloudProvider"] } },
        { "designation sent back as stored", new SystemStatus { BusinessId = "koseki", Designated = true }, new SystemChange { BusinessId = "koseki", Vendor = "X社", Designation = new DesignationInput(null, null) } },
        { "vendor with a control character", new SystemStatus { BusinessId = "koseki", Vendor = "旧\u0007ベンダー" }, new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing, Vendor = "旧\u0007ベンダー" } },
        { "planned go-live outside the window", new SystemStatus { BusinessId = "koseki", PlannedGoLive = new DateOnly(2019, 4, 1) }, new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing, PlannedGoLive = new DateOnly(2019, 4, 1) } },
        { "provider without Government Cloud", new SystemStatus { BusinessId = "koseki", Hosting = HostingKind.OnPremises, CloudProvider = CloudProvider.Aws }, new SystemChange { BusinessId = "koseki", Vendor = "X社", Hosting = HostingKind.OnPremises, CloudProvider = CloudProvider.Aws } },
    };

    [Theory]
    [MemberData(nameof(KeptStoredValues))]
    public void A_stored_value_the_request_keeps_does_not_refuse_its_other_changes(string why, SystemStatus stored, SystemChange change)
    {
        var current = Current();
        current = current with { Systems = current.Systems.SetItem(current.Systems.IndexOf(current.FindSystem("koseki")!), stored) };
        Assert.True(ChangeRules.Validate(Request([change]), current, Today).IsEmpty, why);

        // Touching the member itself still meets its rule.
        var touched = stored.Designated
            ? change with { Designation = new DesignationInput(DesignationReason.Mainframe, null), Omitted = [] }
            : stored.Vendor is not null ? change with { Vendor = stored.Vendor + "2" }
            : stored.PlannedGoLive is { } day ? change with { PlannedGoLive = day.AddDays(1) }
            : change with { CloudProvider = CloudProvider.MicrosoftAzure };
        Assert.NotEmpty(ChangeRules.Validate(Request([touched]), current, Today));
    }

    /// <summary>
    /// A report with no target is refused for naming none, not for changing nothing: a report whose values are those
    /// stored is a confirmation (a breaker's finding: the message said a report must "change" something).
    /// </summary>
    [Fact]
    public void An_empty_report_is_told_to_name_a_target_not_to_change_one()
    {
        var error = Assert.Single(ChangeRules.Validate(Request(), Current(), Today));
        Assert.Equal(("report", "empty"), (error.Field, error.Code));
        Assert.Contains("must name at least one", error.MessageEn, StringComparison.Ordinal);
        Assert.DoesNotContain("change", error.MessageEn.Split('(')[0], StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("報告する", error.MessageJa, StringComparison.Ordinal);
        Assert.DoesNotContain("変更する", error.MessageJa, StringComparison.Ordinal);
    }

    /// <summary>
    /// A system that does not apply cannot be designated (a breaker's finding: 軽自動車税 saved as 対象外 and 特定移行支援,
    /// so the CSV listed one more designated system than figures.designatedSystems counts). Either alone is accepted,
    /// and so is a stored pair the request keeps (as other stored values, above).
    /// </summary>
    [Fact]
    public void A_not_applicable_system_cannot_be_designated()
    {
        var designation = new DesignationInput(DesignationReason.Mainframe, new DateOnly(2029, 3, 31));
        var both = new SystemChange { BusinessId = "light_vehicle_tax", NotApplicable = true, Designation = designation };
        var error = Assert.Single(ChangeRules.Validate(Request([both]), Current(), Today));
        Assert.Equal("systems[light_vehicle_tax].designated", error.Field);
        Assert.Equal("designated_not_applicable", error.Code);
        Assert.Contains("対象外", error.MessageJa, StringComparison.Ordinal);
        Assert.Contains("notApplicable", error.MessageEn, StringComparison.Ordinal);

        Assert.Empty(ChangeRules.Validate(Request([both with { Designation = null }]), Current(), Today));
        Assert.Empty(ChangeRules.Validate(Request([both with { NotApplicable = false }]), Current(), Today));

        // Designating a stored not-applicable system, or marking a designated one not applicable, is the same contradiction.
        var current = Current();
        var index = current.Systems.IndexOf(current.FindSystem("light_vehicle_tax")!);
        var notApplicable = current with { Systems = current.Systems.SetItem(index, current.Systems[index] with { NotApplicable = true }) };
        Assert.Contains(ChangeRules.Validate(Request([both]), notApplicable, Today), e => e.Code == "designated_not_applicable");
        var designated = current with { Systems = current.Systems.SetItem(index, current.Systems[index] with { Designated = true, DesignationReason = DesignationReason.Mainframe, DesignationTarget = new DateOnly(2029, 3, 31) }) };
        Assert.Contains(ChangeRules.Validate(Request([both]), designated, Today), e => e.Code == "designated_not_applicable");

        // A pair already stored (an official release) does not refuse another member's change.
        var stored = current with { Systems = current.Systems.SetItem(index, current.Systems[index] with { NotApplicable = true, Designated = true, DesignationReason = DesignationReason.Mainframe, DesignationTarget = new DateOnly(2029, 3, 31) }) };
        Assert.Empty(ChangeRules.Validate(Request([both with { Vendor = "X社" }]), stored, Today));
    }

    /// <summary>
    /// A system that does not apply has the phase not_started (a breaker's finding: 対象外 with the phase 本番稼働 was
    /// accepted, and the figures ignore it). Refused naming phase; with not_started accepted, and marking a system not
    /// applicable from a phase the municipality reported is no regression (no reason needed, no 後退). A pair already
    /// stored (an official release) does not refuse another member's change.
    /// </summary>
    [Fact]
    public void A_not_applicable_system_must_be_not_started()
    {
        var current = Current();
        var reported = current.Systems[0];
        Assert.Equal(MigrationPhase.Contract, reported.Phase);
        var na = new SystemChange { BusinessId = reported.BusinessId, NotApplicable = true, Phase = MigrationPhase.InProduction };
        var error = Assert.Single(ChangeRules.Validate(Request([na]), current, Today));
        Assert.Equal($"systems[{reported.BusinessId}].phase", error.Field);
        Assert.Equal("phase_not_applicable", error.Code);
        Assert.Contains("未着手", error.MessageJa, StringComparison.Ordinal);
        Assert.Contains("not_started", error.MessageEn, StringComparison.Ordinal);

        // Left out, the phase is the stored one (contract): refused the same way.
        var omitted = na with { Phase = null, Omitted = ["phase"] };
        Assert.Equal($"systems[{reported.BusinessId}].phase", Assert.Single(ChangeRules.Validate(Request([omitted]), current, Today)).Field);

        // not_started: accepted without a reason, and no regression.
        var ok = na with { Phase = MigrationPhase.NotStarted };
        Assert.Empty(ChangeRules.Validate(Request([ok]), current, Today));
        var (next, entries) = ChangeRules.Apply(current, Request([ok]), Now);
        var after = next.FindSystem(reported.BusinessId)!;
        Assert.True(after.NotApplicable);
        Assert.Equal(MigrationPhase.NotStarted, after.Phase);
        Assert.False(after.Regression);
        Assert.Contains(new AuditField("regression", "false", IsFlag: true), Assert.Single(entries).AfterFields);

        // A stored pair (an official release) is not judged again when the request keeps it.
        var stored = current with { Systems = current.Systems.SetItem(0, reported with { NotApplicable = true }) };
        Assert.Empty(ChangeRules.Validate(Request([new SystemChange { BusinessId = reported.BusinessId, NotApplicable = true, Phase = MigrationPhase.Contract, Vendor = "X社" }]), stored, Today));
        Assert.NotEmpty(ChangeRules.Validate(Request([new SystemChange { BusinessId = reported.BusinessId, NotApplicable = true, Phase = MigrationPhase.Testing }]), stored, Today));
    }

    /// <summary>
    /// The designation reason 「その他」 needs its details (a breaker's finding: "other" said nothing). Required with that
    /// reason (422 naming designationReasonNote), refused with another, stored and audited with it, cleared when the
    /// reason changes (a note kept as stored goes with its reason).
    /// </summary>
    [Fact]
    public void The_designation_reason_other_needs_its_details()
    {
        var current = Current();
        var other = new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Contract, Designation = new DesignationInput(DesignationReason.Other, new DateOnly(2029, 3, 31)) };
        var error = Assert.Single(ChangeRules.Validate(Request([other]), current, Today));
        Assert.Equal(("systems[koseki].designationReasonNote", "designation_reason_note_required"), (error.Field, error.Code));
        Assert.Contains("その他", error.MessageJa, StringComparison.Ordinal);
        Assert.Contains("other", error.MessageEn, StringComparison.Ordinal);
        Assert.Single(ChangeRules.Validate(Request([other with { DesignationReasonNote = "  " }]), current, Today));

        var explained = other with { DesignationReasonNote = " 庁内独自の連携基盤に依存 " };
        Assert.Empty(ChangeRules.Validate(Request([explained]), current, Today));
        var (next, entries) = ChangeRules.Apply(current, Request([explained]), Now);
        Assert.Equal("庁内独自の連携基盤に依存", next.FindSystem("koseki")!.DesignationReasonNote);
        Assert.Contains(new AuditField("designationReasonNote", "庁内独自の連携基盤に依存"), Assert.Single(entries).AfterFields);

        // With another reason a new note is refused; the stored note kept goes with its reason.
        var mainframe = new DesignationInput(DesignationReason.Mainframe, new DateOnly(2029, 3, 31));
        Assert.Equal("not_other", Assert.Single(ChangeRules.Validate(Request([explained with { Designation = mainframe, DesignationReasonNote = "別の内容" }], requestId: "r-2"), next, Today)).Code);
        var kept = new SystemChange { BusinessId = "koseki", Designation = mainframe, Omitted = ["phase", "plannedGoLive", "vendor", "hosting", "notApplicable", "regressionReason", "cloudProvider", "designationReasonNote"] };
        Assert.Empty(ChangeRules.Validate(Request([kept], requestId: "r-3"), next, Today));
        Assert.Null(ChangeRules.Apply(next, Request([kept], requestId: "r-3"), Now).Record.FindSystem("koseki")!.DesignationReasonNote);
    }

    [Fact]
    public void Stored_security_evidence_and_review_date_are_not_judged_again()
    {
        var current = Current();
        var item = current.Security[0] with { Status = SecurityStatus.Partial, Evidence = "https://exa mple", LastReviewed = new DateOnly(2019, 1, 1) };
        current = current with { Security = current.Security.SetItem(0, item) };
        var keep = new SecurityChange { ItemId = item.ItemId, Status = SecurityStatus.Implemented, Evidence = item.Evidence, LastReviewed = item.LastReviewed };
        Assert.Empty(ChangeRules.Validate(Request(security: [keep]), current, Today));
        Assert.Contains(ChangeRules.Validate(Request(security: [keep with { Evidence = "https://exa mple2" }]), current, Today), e => e.Field.EndsWith(".evidence", StringComparison.Ordinal));
        Assert.Contains(ChangeRules.Validate(Request(security: [keep with { LastReviewed = new DateOnly(2019, 1, 2) }]), current, Today), e => e.Field.EndsWith(".lastReviewed", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_target_a_report_names_is_audited_a_kept_one_as_a_confirmation_beside_the_changes()
    {
        // Two breakers' findings: a target sent as stored was audited with before = after among the real changes and
        // crowded the feeds (now the feeds group a report's confirmations into one row), and then, once it was left
        // out, nothing in the trail said the report had affirmed it. It is in the trail, as a confirmation.
        var current = Current();
        var koseki = current.FindSystem("koseki")!;
        var same = new SystemChange { BusinessId = "koseki", Phase = koseki.Phase, PlannedGoLive = koseki.PlannedGoLive, Vendor = koseki.Vendor, Hosting = koseki.Hosting };
        var mixed = Request([same, new SystemChange { BusinessId = "resident_registry", Phase = MigrationPhase.Testing }]);
        Assert.Empty(ChangeRules.Validate(mixed, current, Today));
        var (next, entries) = ChangeRules.Apply(current, mixed, Now);
        Assert.Equal(["system:koseki", "system:resident_registry"], entries.Select(e => e.Target));
        Assert.True(AuditFields.IsConfirmation(entries[0]));
        Assert.False(AuditFields.IsConfirmation(entries[1]));
        Assert.Equal(Now, next.FindSystem("koseki")!.ReportedAt); // reported, though unchanged
        Assert.Equal(Now, next.LastReportedAt);

        // Only confirmations: each target given is in the trail, so the report is attributable and clears "stale".
        var index = current.Security.IndexOf(current.FindSecurityItem("SEC-1-01")!);
        var confirmed = current with { Security = current.Security.SetItem(index, current.Security[index] with { Status = SecurityStatus.Partial }) };
        var confirmation = Request([same], [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Partial }]);
        var (after, trail) = ChangeRules.Apply(confirmed, confirmation, Now);
        Assert.Equal(2, trail.Length);
        Assert.All(trail, e => Assert.True(e.BeforeFields.SequenceEqual(e.AfterFields), e.Target));
        Assert.Equal(confirmed.Version + 1, after.Version);
        Assert.Equal(Now, after.LastReportedAt);
    }

    [Fact]
    public void A_good_report_is_valid_and_applies_as_one_version()
    {
        var current = Current();
        var request = Request(
            [
                new SystemChange { BusinessId = "child_allowance", Phase = MigrationPhase.FitGap, Reason = "ベンダー撤退のため再調達" },
                new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing, PlannedGoLive = new DateOnly(2027, 1, 4), Vendor = "  架空システム株式会社 ", Hosting = HostingKind.GovernmentCloud },
                new SystemChange { BusinessId = "public_assistance", NotApplicable = true },
                new SystemChange { BusinessId = "resident_registry", Phase = MigrationPhase.Contract, Designation = new DesignationInput(DesignationReason.VendorCapacity, new DateOnly(2029, 3, 31)) },
            ],
            [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = "https://example.lg.jp/policy.pdf", LastReviewed = Today }]);
        Assert.Empty(ChangeRules.Validate(request, current, Today));

        var (next, entries) = ChangeRules.Apply(current, request, Now);

        Assert.Equal(current.Version + 1, next.Version);
        Assert.Equal(5, entries.Length);
        Assert.All(entries, e => Assert.Equal(Staff, e.Actor));
        var regressed = next.FindSystem("child_allowance")!;
        Assert.True(regressed.Regression);
        Assert.Equal("ベンダー撤退のため再調達", regressed.RegressionReason);
        var koseki = next.FindSystem("koseki")!;
        Assert.Equal("架空システム株式会社", koseki.Vendor);
        Assert.Equal(Now, koseki.ReportedAt);
        Assert.True(next.FindSystem("public_assistance")!.NotApplicable);
        var designated = next.FindSystem("resident_registry")!;
        Assert.True(designated.Designated);
        Assert.Equal(DesignationReason.VendorCapacity, designated.DesignationReason);
        Assert.Equal(SecurityStatus.Implemented, next.FindSecurityItem("SEC-1-01")!.Status);
        Assert.Equal(Now, next.LastReportedAt);
        Assert.Equal("system:child_allowance", entries[0].Target);
        Assert.Contains(new AuditField("phase", "contract"), entries[0].BeforeFields);
        Assert.Contains(new AuditField("phase", "fit_gap"), entries[0].AfterFields);
        Assert.Contains(new AuditField("regression", "true", IsFlag: true), entries[0].AfterFields);
        Assert.Contains(new AuditField("regressionReason", "ベンダー撤退のため再調達"), entries[0].AfterFields);
        Assert.Null(entries[0].Before);
        Assert.Null(entries[0].After);

        // A forward move clears the regression; staying put keeps it.
        var (same, _) = ChangeRules.Apply(next, Request([new SystemChange { BusinessId = "child_allowance", Phase = MigrationPhase.FitGap }], requestId: "r-2"), Now);
        Assert.True(same.FindSystem("child_allowance")!.Regression);
        var (forward, _) = ChangeRules.Apply(same, Request([new SystemChange { BusinessId = "child_allowance", Phase = MigrationPhase.MigrationPlan }], requestId: "r-3"), Now);
        Assert.False(forward.FindSystem("child_allowance")!.Regression);
        Assert.Null(forward.FindSystem("child_allowance")!.RegressionReason);
    }

    [Fact]
    public void Designation_beyond_the_limit_is_accepted_and_flagged()
    {
        var request = Request([new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Contract, Designation = new DesignationInput(DesignationReason.Mainframe, new DateOnly(2032, 3, 31)) }]);
        Assert.Empty(ChangeRules.Validate(request, Current(), Today));
        var (next, _) = ChangeRules.Apply(Current(), request, Now);
        Assert.True(ReadinessRules.Evaluate(next.FindSystem("koseki")!, Today).BeyondLimit);
    }

    [Fact]
    public void Figures_add_exactly_in_any_order()
    {
        var records = new[] { "131016", "011002", "472018" }.Select(c => Baseline.Create(c, Now)).ToList();
        var parts = records.Select(r => ReadinessRules.Summarize(r, Today)).ToList();
        var forward = Aggregation.Sum(parts);
        var backward = Aggregation.Sum(Enumerable.Reverse(parts));
        Assert.True(forward.SameAs(backward));
        Assert.Equal(3, forward.Municipalities);
        Assert.Equal(60, forward.ApplicableSystems + forward.NotApplicableSystems);
        Assert.Equal(parts.Sum(p => p.ProgressUnits), forward.ProgressUnits);
        Assert.False(forward.SameAs(parts[0]));
    }

    [Fact]
    public void Keep_newest_ignores_repeats_and_older_versions()
    {
        var latest = new Dictionary<string, MunicipalitySummary>();
        MunicipalitySummary S(long v, int day = 1) => new() { Code = "131016", Version = v, Figures = Figures.Zero, AsOf = new DateOnly(2026, 11, day) };
        Assert.True(Aggregation.KeepNewest(latest, "131016", S(2), s => s.Version, s => s.AsOf));
        Assert.False(Aggregation.KeepNewest(latest, "131016", S(2), s => s.Version, s => s.AsOf));
        Assert.False(Aggregation.KeepNewest(latest, "131016", S(1, 5), s => s.Version, s => s.AsOf));
        Assert.Equal(2, latest["131016"].Version);
        Assert.True(Aggregation.KeepNewest(latest, "131016", S(2, 2), s => s.Version, s => s.AsOf));
        Assert.True(Aggregation.KeepNewest(latest, "131016", S(3), s => s.Version, s => s.AsOf));
        Assert.Equal(3, latest["131016"].Version);
    }

    [Theory]
    [InlineData(-1, "names no version")]
    [InlineData(4, "This changed after the version you read")]
    [InlineData(6, "names no version")] // never reached (round 49: If-Match "99" was told someone saved first)
    public void A_version_conflict_says_whether_if_match_named_a_version(long expected, string saying)
    {
        var error = ChangeRules.VersionConflict(expected, 5);

        Assert.Equal(("version", "version_conflict"), (error.Field, error.Code));
        Assert.Contains(saying, error.MessageEn, StringComparison.Ordinal);
        Assert.Contains("current version 5", error.MessageEn, StringComparison.Ordinal);
        Assert.Contains("現在の版: 5", error.MessageJa, StringComparison.Ordinal);
        Assert.Equal(expected is < 0 or > 5, error.MessageJa.Contains("W/", StringComparison.Ordinal));
    }
}

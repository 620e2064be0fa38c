using Readiness.Planning;
using Readiness.Rules;
using Xunit;

namespace Readiness.Tests.Rules;

/// <summary>
/// A text limit is counted on the text as it is stored, after the normalization applied before storing (review
/// finding): a vendor name is stored in its NFKC identifier form, so 「㍿」 (one code point) is stored as 株式会社 (four)
/// and ｶﾞ (two) as ガ (one). Before, the vendor was counted in NFC: 100 × 「㍿」 passed and was stored as 400
/// characters, and 60 × ｶﾞ (stored as 60) was refused as 120. Reason and evidence are stored in NFC and counted so.
/// </summary>
public sealed class StoredLengthTests
{
    private static readonly DateOnly Today = new(2026, 11, 25);
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly Actor Staff = new("tanaka@example.lg.jp", Role.Municipality, "131016");

    private static string Times(string text, int count) => string.Concat(Enumerable.Repeat(text, count));

    private static MunicipalityRecord Current() => Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance);

    private static ChangeRequest Request(SystemChange[]? systems = null, SecurityChange[]? security = null) => new()
    {
        RequestId = "r-1",
        Actor = Staff,
        Systems = systems is null ? [] : [.. systems],
        Security = security is null ? [] : [.. security],
    };

    [Fact]
    public void A_vendor_that_expands_past_the_limit_when_stored_is_refused_counting_the_stored_characters()
    {
        var vendor = Times("㍿", ChangeRules.MaxVendorLength); // 100 code points, stored as 400
        var errors = ChangeRules.Validate(Request([new SystemChange { BusinessId = "koseki", Vendor = vendor }]), Current(), Today);
        var error = Assert.Single(errors);
        Assert.Equal(("systems[koseki].vendor", "too_long"), (error.Field, error.Code));
        Assert.Contains("400", error.MessageEn, StringComparison.Ordinal);
        Assert.Contains("400", error.MessageJa, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vendor_that_contracts_within_the_limit_when_stored_is_accepted_and_stored_within_it()
    {
        var vendor = Times("ｶﾞ", 60); // 120 code points sent, stored as 60 × ガ
        var request = Request([new SystemChange { BusinessId = "koseki", Vendor = vendor }]);
        Assert.Empty(ChangeRules.Validate(request, Current(), Today));
        var (record, _) = ChangeRules.Apply(Current(), request, Now);
        var stored = record.FindSystem("koseki")!.Vendor;
        Assert.Equal(Times("ガ", 60), stored);
        Assert.True(FreeText.Characters(stored) <= ChangeRules.MaxVendorLength);
    }

    [Fact]
    public void A_prefecture_run_vendor_is_counted_as_stored()
    {
        var tokyo = PrefectureRunRules.Create("13", Now);
        var business = tokyo.Systems[0].BusinessId;
        var expands = new ChangeRequest { RequestId = "r-1", Actor = new Actor("pref@metro.tokyo", Role.Prefecture, "13"), Systems = [new SystemChange { BusinessId = business, Vendor = Times("㍿", 30) }] };
        Assert.Contains(PrefectureRunRules.Validate(expands, tokyo, Today), e => e.Code == "too_long" && e.Field.EndsWith(".vendor", StringComparison.Ordinal));
        var contracts = expands with { Systems = [new SystemChange { BusinessId = business, Vendor = Times("ｶﾞ", 90) }] };
        Assert.Empty(PrefectureRunRules.Validate(contracts, tokyo, Today));
    }

    /// <summary>Reason and evidence are stored in NFC (か + U+3099 is が): counted so, they were already right; kept so.</summary>
    [Fact]
    public void Reason_and_evidence_are_counted_in_the_NFC_they_are_stored_in()
    {
        var reason = Times("か\u3099", ChangeRules.MaxReasonLength); // 1000 code points sent, 500 stored
        var evidence = Times("か\u3099", ChangeRules.MaxEvidenceLength);
        var request = Request(
            [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing, Reason = reason }],
            [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = evidence }]);
        Assert.Empty(ChangeRules.Validate(request, Current(), Today));
    }

    [Fact]
    public void A_scenario_vendor_is_counted_in_the_identifier_form_its_capacity_is_kept_under()
    {
        var expands = new ForecastScenario { Name = "stored-length", VendorCapacity = [new VendorCapacitySetting(Times("㍿", 60), 5)] }; // 60 sent, 240 stored
        Assert.Contains(ScenarioRules.Validate(expands, _ => true), e => e.Field == "vendorCapacity[0].vendor");
        var contracts = expands with { VendorCapacity = [new VendorCapacitySetting(Times("ｶﾞ", 150), 5)] }; // 300 sent, 150 stored
        Assert.Empty(ScenarioRules.Validate(contracts, _ => true));
    }
}

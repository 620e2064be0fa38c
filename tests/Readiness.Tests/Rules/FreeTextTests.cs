using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>The free-text rule on its own, and through <see cref="ChangeRules"/> for every free-text field.</summary>
public sealed class FreeTextTests
{
    private static readonly DateOnly Today = new(2026, 11, 25);
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("株式会社\u202Eルプンサ", 0x202E, 4)] // RIGHT-TO-LEFT OVERRIDE: displays as 株式会社サンプル
    [InlineData("\u200B株式会社サンプル\u200B", 0x200B, 0)] // ZERO WIDTH SPACE: looks like an existing vendor
    [InlineData("株式会社\u200Dサンプル", 0x200D, 4)] // ZERO WIDTH JOINER
    [InlineData("👨\u200Dサンプル", 0x200D, 2)] // a joiner after an emoji but not before one
    [InlineData("A\u200D💻", 0x200D, 1)] // before an emoji but not after one
    [InlineData("👨\u200D", 0x200D, 2)] // at the end
    [InlineData("\uFEFF株式会社サンプル", 0xFEFF, 0)] // BOM / ZERO WIDTH NO-BREAK SPACE
    [InlineData("株式会社\u2066サンプル\u2069", 0x2066, 4)] // isolates
    [InlineData("A\u200EB", 0x200E, 1)] // LEFT-TO-RIGHT MARK
    [InlineData("A\u00ADB", 0x00AD, 1)] // SOFT HYPHEN (Cf)
    [InlineData("A\u2060B", 0x2060, 1)] // WORD JOINER
    [InlineData("A\U000E0001B", 0xE0001, 1)] // LANGUAGE TAG, outside the BMP
    public void Format_characters_are_refused(string text, int codePoint, int index)
    {
        foreach (var multiline in new[] { false, true })
        {
            Assert.Equal((FreeTextFault.FormatCharacter, index, codePoint), FreeText.Check(text, multiline));
        }
    }

    [Theory]
    [InlineData("\u3164", 0x3164, 0)] // HANGUL FILLER: a "name" that displays as nothing
    [InlineData("田中\u3164", 0x3164, 2)]
    [InlineData("\uFFA0田中", 0xFFA0, 0)] // HALFWIDTH HANGUL FILLER
    [InlineData("A\u115FB", 0x115F, 1)] // HANGUL CHOSEONG FILLER
    [InlineData("A\u1160B", 0x1160, 1)] // HANGUL JUNGSEONG FILLER
    [InlineData("田\u034F中", 0x034F, 1)] // COMBINING GRAPHEME JOINER (Mn)
    [InlineData("A\u17B4B", 0x17B4, 1)] // KHMER VOWEL INHERENT AQ
    [InlineData("\u2800", 0x2800, 0)] // BRAILLE PATTERN BLANK
    [InlineData("A\u2065B", 0x2065, 1)] // unassigned, default ignorable
    [InlineData("A\uFFF0B", 0xFFF0, 1)]
    [InlineData("A\U000E0080B", 0xE0080, 1)] // plane 14, unassigned, default ignorable
    public void Characters_that_display_as_nothing_are_refused(string text, int codePoint, int index)
    {
        foreach (var multiline in new[] { false, true })
        {
            Assert.Equal((FreeTextFault.InvisibleCharacter, index, codePoint), FreeText.Check(text, multiline));
        }
    }

    [Theory]
    [InlineData("葛\U000E0100飾区")] // ideographic variation selector
    [InlineData("❤\uFE0F")] // emoji presentation selector
    [InlineData("👨\u200D💻")] // a ZERO WIDTH JOINER between two emoji makes one (technologist): kept
    [InlineData("担当 👨\u200D👩\u200D👧 です")] // two joiners (family)
    [InlineData("❤\uFE0F\u200D🔥")] // presentation selector before the joiner
    [InlineData("👩🏽\u200D💻")] // skin tone before the joiner
    [InlineData("👨\u200D⚕\uFE0F")] // an emoji from the U+2600 block after the joiner
    [InlineData("\u1820\u180B")] // Mongolian free variation selector
    [InlineData("한국어")] // Hangul syllables (not fillers)
    [InlineData("\u2801")] // a braille pattern that has dots
    public void Variation_selectors_and_visible_neighbours_of_invisible_characters_pass(string text) =>
        Assert.Equal(FreeTextFault.None, FreeText.Check(text, multiline: false).Fault);

    [Theory]
    [InlineData("一行目\u2028二行目", 0x2028)]
    [InlineData("一行目\u2029二行目", 0x2029)]
    public void Line_and_paragraph_separators_are_refused(string text, int codePoint)
    {
        Assert.Equal(FreeTextFault.LineSeparator, FreeText.Check(text, multiline: true).Fault);
        Assert.Equal(codePoint, FreeText.Check(text, multiline: false).CodePoint);
    }

    [Theory]
    [InlineData("A\u0000B")]
    [InlineData("A\u0007B")]
    [InlineData("A\u001BB")]
    [InlineData("A\u007FB")]
    [InlineData("A\u0085B")]
    [InlineData("A\tB")]
    public void Control_characters_are_refused_everywhere(string text)
    {
        Assert.Equal(FreeTextFault.ControlCharacter, FreeText.Check(text, multiline: false).Fault);
        Assert.Equal(FreeTextFault.ControlCharacter, FreeText.Check(text, multiline: true).Fault);
    }

    [Theory]
    [InlineData("一行目\n二行目")]
    [InlineData("一行目\r\n二行目")]
    public void Line_breaks_are_refused_in_one_line_fields_only(string text)
    {
        Assert.Equal(FreeTextFault.ControlCharacter, FreeText.Check(text, multiline: false).Fault);
        Assert.Equal(FreeTextFault.None, FreeText.Check(text, multiline: true).Fault);
    }

    [Fact]
    public void A_lone_surrogate_is_refused()
    {
        Assert.Equal(FreeTextFault.LoneSurrogate, FreeText.Check("A\uD800B", multiline: false).Fault);
        Assert.Equal(FreeTextFault.LoneSurrogate, FreeText.Check("A\uDC00", multiline: false).Fault);
    }

    [Theory]
    [InlineData("株式会社サンプル")]
    [InlineData("𠮷野家")] // outside the BMP, a pair
    [InlineData("葛\U000E0100飾区")] // an ideographic variation selector (Mn), not a format character
    [InlineData("Ｓａｍｐｌｅ　Ｃｏ．")]
    [InlineData("https://example.lg.jp/a?b=1")]
    public void Ordinary_text_passes(string text) => Assert.Equal(FreeTextFault.None, FreeText.Check(text, multiline: false).Fault);

    [Theory]
    [InlineData("\u3000株式会社サンプル\u3000", "株式会社サンプル")] // IDEOGRAPHIC SPACE
    [InlineData("\u00A0 株式会社サンプル \t", "株式会社サンプル")]
    [InlineData("\u3000 \u00A0", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("か\u3099", "が")] // combining voiced mark, composed (NFC)
    [InlineData("Cafe\u0301", "Café")]
    [InlineData("一行目\r\n二行目\r三行目", "一行目\n二行目\n三行目")]
    [InlineData("ﾊﾝｶｸ", "ﾊﾝｶｸ")] // NFC, not NFKC: what was typed stays
    public void Canonical_form_is_nfc_trimmed_with_lf(string? text, string? expected) => Assert.Equal(expected, FreeText.Canonical(text));

    /// <summary>
    /// Limits count characters (code points), not UTF-16 units: a vendor name of 100 supplementary-plane kanji (𠮷) is
    /// within 100 (it was refused as 200), 101 is refused and the message counts 101 (it said twice that).
    /// </summary>
    [Fact]
    public void A_limit_counts_characters_not_utf16_units()
    {
        Assert.Equal(3, FreeText.Characters("𠮷野家"));
        Assert.Equal(2, FreeText.Characters("📊a"));
        Assert.Equal(0, FreeText.Characters(null));
        Assert.Empty(ChangeRules.Validate(System(new() { BusinessId = "koseki", Vendor = string.Concat(Enumerable.Repeat("𠮷", 100)) }), Current(), Today));
        var error = Assert.Single(ChangeRules.Validate(System(new() { BusinessId = "koseki", Vendor = string.Concat(Enumerable.Repeat("𠮷", 101)) }), Current(), Today));
        Assert.Equal("too_long", error.Code);
        Assert.Contains("（101文字）", error.MessageJa, StringComparison.Ordinal);
        Assert.Contains("(101 given)", error.MessageEn, StringComparison.Ordinal);
    }

    public static TheoryData<string, ChangeRequest> FaultsPerField() => new()
    {
        { "systems[koseki].vendor", System(new() { BusinessId = "koseki", Vendor = "株式会社\u202Eルプンサ" }) },
        { "systems[koseki].vendor", System(new() { BusinessId = "koseki", Vendor = "\u200B株式会社サンプル\u200B" }) },
        { "systems[koseki].vendor", System(new() { BusinessId = "koseki", Vendor = "株式会社\nサンプル" }) },
        { "systems[koseki].vendor", System(new() { BusinessId = "koseki", Vendor = "株式会社\u2028サンプル" }) },
        { "systems[koseki].reason", System(new() { BusinessId = "koseki", Reason = "理由\u202E" }) },
        { "systems[koseki].reason", System(new() { BusinessId = "koseki", Reason = "理由\u2029次" }) },
        { "security[SEC-1-01].evidence", Security(new() { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = "規程\u200B第3条" }) },
        { "security[SEC-1-01].evidence", Security(new() { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = "規程\u0007" }) },
        { "systems[koseki].vendor", System(new() { BusinessId = "koseki", Vendor = "\u3164" }) },
        { "security[SEC-1-01].evidence", Security(new() { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = "\u2800" }) },
    };

    [Theory]
    [MemberData(nameof(FaultsPerField))]
    public void Every_free_text_field_refuses_with_its_name_in_japanese_and_english(string field, ChangeRequest request)
    {
        var error = Assert.Single(ChangeRules.Validate(request, Current(), Today));
        Assert.Equal(field, error.Field);
        Assert.Matches("U\\+[0-9A-F]{4}", error.MessageJa);
        Assert.Matches("U\\+[0-9A-F]{4}", error.MessageEn);
        Assert.Contains(field.EndsWith("vendor", StringComparison.Ordinal) ? Readiness.Catalog.Vocabulary.Vendor.ShortJa : field.EndsWith("reason", StringComparison.Ordinal) ? "理由" : Readiness.Catalog.Vocabulary.Evidence.ShortJa, error.MessageJa, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_id_with_an_invisible_character_is_refused()
    {
        var request = System(new() { BusinessId = "koseki", Phase = MigrationPhase.Testing }) with { RequestId = "r-\u200B1" };
        Assert.Contains(ChangeRules.Validate(request, Current(), Today), e => e.Field == "requestId");
    }

    [Fact]
    public void Applied_text_is_stored_in_canonical_form()
    {
        var request = new ChangeRequest
        {
            RequestId = "r-1",
            Actor = new Actor("tanaka@example.lg.jp", Role.Municipality, "131016"),
            Systems = [new SystemChange { BusinessId = "koseki", Vendor = "\u3000株式会社サンプル\u3000", Phase = MigrationPhase.NotStarted, Reason = " か\u3099ん\r\nばる " }],
            Security = [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented, Evidence = "\u3000\u3000" }],
        };
        var current = Current() with { Systems = Current().Systems.SetItem(Current().Systems.IndexOf(Current().FindSystem("koseki")!), Current().FindSystem("koseki")! with { Phase = MigrationPhase.Testing, ReportedAt = Now.AddDays(-10) }) };
        Assert.Empty(ChangeRules.Validate(request, current, Today));
        var (record, _) = ChangeRules.Apply(current, request, Now);
        var koseki = record.FindSystem("koseki")!;
        Assert.Equal("株式会社サンプル", koseki.Vendor);
        Assert.Equal("がん\nばる", koseki.RegressionReason);
        Assert.Null(record.Security.Single(s => s.ItemId == "SEC-1-01").Evidence);
    }

    [Fact]
    public void A_regression_reason_of_ideographic_spaces_only_is_no_reason()
    {
        var current = Current() with { Systems = Current().Systems.Select(s => s with { Phase = MigrationPhase.Testing, ReportedAt = Now.AddDays(-10) }).ToImmutableArray() };
        var request = System(new() { BusinessId = "koseki", Phase = MigrationPhase.FitGap, Reason = "\u3000\u3000" });
        Assert.Contains(ChangeRules.Validate(request, current, Today), e => e.Field == "systems[koseki].reason" && e.Code == "regression_reason_required");
    }

    [Fact]
    public void The_length_limit_counts_the_stored_text()
    {
        var vendor = "\u3000" + new string('ア', ChangeRules.MaxVendorLength) + "\u3000";
        Assert.Empty(ChangeRules.Validate(System(new() { BusinessId = "koseki", Vendor = vendor }), Current(), Today));
    }

    private static MunicipalityRecord Current() => Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance);

    private static ChangeRequest System(SystemChange change) => new()
    {
        RequestId = "r-1",
        Actor = new Actor("tanaka@example.lg.jp", Role.Municipality, "131016"),
        Systems = [change],
    };

    private static ChangeRequest Security(SecurityChange change) => new()
    {
        RequestId = "r-1",
        Actor = new Actor("tanaka@example.lg.jp", Role.Municipality, "131016"),
        Security = [change],
    };
}

using System.Collections.Immutable;
using System.Text.Json;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>The audit trail's fields: a value that reads like other fields stays one value, in every form.</summary>
public sealed class AuditFieldsTests
{
    private const string Forged = "株式会社サンプル; hosting=government_cloud; phase=in_production";

    [Fact]
    public void A_forged_vendor_stays_one_field_and_round_trips_through_json()
    {
        var status = new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, Vendor = Forged, Hosting = HostingKind.OnPremises };
        var fields = AuditFields.Of(status);
        Assert.Equal(["phase", "notApplicable", "plannedGoLive", "vendor", "hosting", "designated", "designationReason", "designationTarget", "regression", "regressionReason", "cloudProvider", "designationReasonNote"], fields.Select(f => f.Name));
        Assert.Equal(Forged, fields.Single(f => f.Name == "vendor").Value);
        Assert.Equal("testing", fields.Single(f => f.Name == "phase").Value);

        var json = AuditFields.ToJson(fields)!;
        var parsed = JsonDocument.Parse(json).RootElement;
        Assert.Equal("testing", parsed.GetProperty("phase").GetString());
        Assert.Equal(Forged, parsed.GetProperty("vendor").GetString());
        Assert.False(parsed.GetProperty("notApplicable").GetBoolean());
        Assert.Equal(JsonValueKind.Null, parsed.GetProperty("plannedGoLive").ValueKind);
        Assert.Contains("株式会社サンプル", json, StringComparison.Ordinal); // readable, not \u-escaped
        Assert.Equal(fields.ToList(), AuditFields.FromJson(json).ToList());
    }

    [Fact]
    public void Emoji_and_surrogate_pair_kanji_are_written_as_themselves_and_an_escape_typed_in_a_value_stays_text()
    {
        // 😀 and 𠮷 (U+20BB7, a family name) are beyond the BMP: the encoders wrote them as \uD83D\uDE00. A value that
        // holds the six characters \uD83D as typed text (its backslash escaped) must not turn into the emoji.
        const string typed = "\\uD83D\\uDE00 \\\\uD842\\uDFB7 \\";
        foreach (var value in new[] { "𠮷田商店😀", "😀", "a\\😀\"b", typed, "😀\\uDE00 and typed text" })
        {
            var fields = AuditFields.Of(new SecurityItemStatus { ItemId = "SEC-1-01", Status = SecurityStatus.Partial, Evidence = value });
            var json = AuditFields.ToJson(fields)!;
            Assert.Equal(value, JsonDocument.Parse(json).RootElement.GetProperty("evidence").GetString());
            Assert.Equal(fields.ToList(), AuditFields.FromJson(json).ToList());
            Assert.Equal(fields.ToList(), AuditFields.FromUtf8Json(AuditFields.ToUtf8Json(fields)).ToList());
            Assert.DoesNotContain("\\uD83D\\uDE00", json.Replace("\\\\", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        }

        var kanji = AuditFields.ToJson(AuditFields.Of(new SecurityItemStatus { ItemId = "SEC-1-01", Status = SecurityStatus.Partial, Evidence = "𠮷田商店😀" }))!;
        Assert.Contains("\"evidence\":\"𠮷田商店😀\"", kanji, StringComparison.Ordinal);
    }

    [Fact]
    public void Quotes_and_backslashes_in_a_value_cannot_close_it()
    {
        var fields = AuditFields.Of(new SecurityItemStatus { ItemId = "SEC-1-01", Status = SecurityStatus.Partial, Evidence = "\", \"status\": \"implemented\\" });
        var json = AuditFields.ToJson(fields)!;
        Assert.Equal("partial", JsonDocument.Parse(json).RootElement.GetProperty("status").GetString());
        Assert.Equal(fields.ToList(), AuditFields.FromJson(json).ToList());
    }

    [Fact]
    public void Legacy_text_is_served_under_its_own_key_and_changed_fields_are_the_differences()
    {
        Assert.Equal([new AuditField(AuditFields.LegacyText, "phase=testing")], AuditFields.Side([], "phase=testing").ToList());
        Assert.Empty(AuditFields.Side([], null));
        var before = AuditFields.Of(new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing });
        var after = AuditFields.Of(new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, Vendor = Forged });
        Assert.Equal([new AuditField("vendor", Forged)], AuditFields.Changed(before, after).ToList());
        Assert.Throws<JsonException>(() => AuditFields.FromJson("[1]"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"phase\":\"testing\"")]
    [InlineData("{\"phase\":\"testing\"} {}")]
    [InlineData("{\"phase\":\"testing\"}x")]
    [InlineData("{\"phase\":1}")]
    [InlineData("{\"phase\":{\"a\":\"b\"}}")]
    [InlineData("{\"phase\":[\"testing\"]}")]
    [InlineData("\"phase\"")]
    [InlineData("{phase:\"testing\"}")]
    public void Anything_but_one_object_of_strings_booleans_and_nulls_is_refused(string text) =>
        Assert.ThrowsAny<JsonException>(() => AuditFields.FromJson(text));

    [Fact]
    public void Escaped_names_long_values_and_repeated_names_read_back_as_written()
    {
        var longText = string.Concat(Enumerable.Repeat("根拠の文書 ", 400)); // past the reader's stack buffer
        var fields = AuditFields.FromJson($$"""{"ph\u0061se":"testing","evidence":"{{longText}}","other":null,"other":true," \u2028":false}""");
        Assert.Equal(
            [new AuditField("phase", "testing"), new AuditField("evidence", longText), new AuditField("other", null), new AuditField("other", "true", IsFlag: true), new AuditField(" \u2028", "false", IsFlag: true)],
            fields.ToList());
        Assert.Same("phase", fields[0].Name); // a known name is the same string for every row, not a new one
        Assert.Empty(AuditFields.FromJson(null));
        Assert.Empty(AuditFields.FromJson(" { } "));
    }

    [Fact]
    public void The_utf8_bytes_written_read_back_as_the_same_fields_as_the_text()
    {
        var fields = AuditFields.Of(new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, Vendor = "株式会社\"引用\" \u2028", Regression = true, RegressionReason = "再計画" });
        var utf8 = AuditFields.ToUtf8Json(fields)!;
        Assert.Equal(fields.ToList(), AuditFields.FromUtf8Json(utf8).ToList());
        Assert.Equal(AuditFields.FromJson(AuditFields.ToJson(fields)).ToList(), AuditFields.FromUtf8Json(utf8).ToList());
        Assert.Same("vendor", AuditFields.FromUtf8Json(utf8)[3].Name);
        Assert.ThrowsAny<JsonException>(() => AuditFields.FromUtf8Json("[1]"u8));
        Assert.ThrowsAny<JsonException>(() => AuditFields.FromUtf8Json("""{"phase":1}"""u8));
    }
    [Fact]
    public void A_side_read_for_some_fields_holds_those_as_the_whole_read_does_and_known_values_are_shared()
    {
        var fields = AuditFields.Of(new SystemStatus
        {
            BusinessId = "koseki", Phase = MigrationPhase.Testing, Vendor = Forged, Hosting = HostingKind.OnPremises, PlannedGoLive = new DateOnly(2026, 3, 31),
            Designated = true, DesignationReason = DesignationReason.Other, DesignationReasonNote = "\"phase\": \"x\"", RegressionReason = "再計画",
        });
        var utf8 = AuditFields.ToUtf8Json(fields)!;
        ImmutableArray<string> only = ["phase", "plannedGoLive", "designationReason", "regressionReason", "notApplicable"];
        var some = AuditFields.FromUtf8Json(utf8, only);
        Assert.Equal(AuditFields.FromUtf8Json(utf8).Where(f => only.Contains(f.Name)).ToList(), some.ToList());
        Assert.Equal(some.ToList(), AuditFields.FromJson(AuditFields.ToJson(fields), only).ToList());
        Assert.Same(Wire.Name(MigrationPhase.Testing), some.Single(f => f.Name == "phase").Value);
        Assert.Same(Wire.Name(DesignationReason.Other), some.Single(f => f.Name == "designationReason").Value);

        // A field left out is still checked: a side that is not an audit side is refused either way.
        Assert.Throws<JsonException>(() => AuditFields.FromUtf8Json("{\"phase\":\"testing\",\"vendor\":[1]}"u8, only));
        Assert.Throws<JsonException>(() => AuditFields.FromUtf8Json("[]"u8, only));
    }
}

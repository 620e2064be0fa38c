using System.Text;
using Readiness.Web.Api;

namespace Readiness.Tests.Api;

/// <summary>Binding by the JSON contract: every fault named by its path, in document order, whatever the serializer's messages say.</summary>
public sealed class JsonBodyTests
{
    private static IReadOnlyList<ProblemError> Errors<T>(string json)
        where T : class => JsonBody.Bind<T>(Encoding.UTF8.GetBytes(json)).Errors;

    [Theory]
    [InlineData("""{"tenant":"271004"}""", "tenant", "unknown_property")]
    [InlineData("""{"Phase":"testing"}""", "Phase", "unknown_property")]
    [InlineData("""{"phase":"testing","phase":"fit_gap"}""", "phase", "duplicate_property")]
    [InlineData("""{"notApplicable":null}""", "notApplicable", "null_not_allowed")]
    [InlineData("""{"designated":null}""", "designated", "null_not_allowed")]
    [InlineData("""{"phase":3}""", "phase", "unknown_value")]
    [InlineData("""{"phase":"InProduction"}""", "phase", "unknown_value")]
    [InlineData("""{"notApplicable":"yes"}""", "notApplicable", "wrong_type")]
    [InlineData("""{"plannedGoLive":"2026-02-30"}""", "plannedGoLive", "wrong_type")]
    [InlineData("""{"designationTarget":"2026/04/01"}""", "designationTarget", "wrong_type")]
    [InlineData("""{"vendor":123}""", "vendor", "wrong_type")]
    [InlineData("""{"vendor":true}""", "vendor", "wrong_type")]
    [InlineData("""{"designated":"true"}""", "designated", "wrong_type")]
    [InlineData("""{"designated":0}""", "designated", "wrong_type")]
    [InlineData("""{"phase":"testing","ph\u0061se":"fit_gap"}""", "phase", "duplicate_property")]   // an escaped name is the same name
    [InlineData("""[]""", "body", "wrong_type")]
    [InlineData("""null""", "body", "wrong_type")]
    [InlineData("""{"phase":""", "phase", "invalid_json")]
    [InlineData("""{"phase":"testing",}""", "body", "invalid_json")]
    [InlineData("""{"vendor":"a"}{"vendor":"b"}""", "body", "invalid_json")]
    [InlineData("", "body", "required")]
    public void A_fault_is_named_by_its_path_and_code(string json, string field, string code)
    {
        var error = Assert.Single(Errors<SystemReport>(json));
        Assert.Equal(field, error.Field);
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.MessageJa));
        Assert.False(string.IsNullOrWhiteSpace(error.MessageEn));
    }

    [Fact]
    public void Every_fault_is_listed_in_document_order()
    {
        var errors = Errors<SystemReport>("""{"tenant":"x","phase":"done","vendor":null,"plannedGoLive":"2026-13-01","notApplicable":null}""");
        Assert.Equal(["tenant", "phase", "plannedGoLive", "notApplicable"], errors.Select(e => e.Field));
    }

    [Fact]
    public void Report_items_are_checked_with_their_index()
    {
        var errors = Errors<MunicipalityReport>("""{"systems":[{"businessId":"koseki","phase":"testing"},{"phase":"testing","tenant":"x"},null],"security":{"itemId":"SEC-1-01"}}""");
        Assert.Equal(["systems[1].tenant", "systems[1].businessId", "systems[2]", "security"], errors.Select(e => e.Field));
        Assert.Equal(["unknown_property", "required", "null_not_allowed", "wrong_type"], errors.Select(e => e.Code));
    }

    [Fact]
    public void A_syntax_error_deep_inside_names_the_member_it_was_in()
    {
        var error = Assert.Single(Errors<MunicipalityReport>("""{"systems":[{"businessId":"koseki"},{"businessId":"juki","vendor":tru}]}"""));
        Assert.Equal("systems[1].vendor", error.Field);
        Assert.Equal("invalid_json", error.Code);
    }

    /// <summary>Nesting beyond the 16 levels taken is its own fault (integrator's finding: it was "malformed JSON"), named where it went too deep.</summary>
    [Fact]
    public void Nesting_beyond_the_limit_is_too_deep_not_malformed()
    {
        static string Nested(int levels) => """{"vendor":""" + string.Concat(Enumerable.Repeat("""{"a":""", levels)) + "1" + new string('}', levels + 1);

        var deep = Assert.Single(Errors<SystemReport>(Nested(40)));
        Assert.Equal("too_deep", deep.Code);
        Assert.StartsWith("vendor.a.a", deep.Field, StringComparison.Ordinal);
        Assert.Contains("16", deep.MessageEn, StringComparison.Ordinal);
        Assert.Contains("入れ子", deep.MessageJa, StringComparison.Ordinal);

        // 16 levels in all is taken (the body's object is one of them): the fault is then the value, not the depth.
        Assert.Equal("wrong_type", Assert.Single(Errors<SystemReport>(Nested(14))).Code);
        Assert.Equal("too_deep", Assert.Single(Errors<SystemReport>(Nested(16))).Code);

        // A syntax error that is not deep stays malformed, even in a body that would also be too deep after it.
        Assert.Equal("invalid_json", Assert.Single(Errors<SystemReport>("""{"vendor":tru""" + Nested(40)[10..])).Code);
    }

    /// <summary>
    /// A JSON string escaping an unpaired surrogate parses but is no text: System.Text.Json cannot read it. It is named
    /// as an invalid character at its field, in a value of any type and in a member name (was wrong_type, or a 500 for a name).
    /// </summary>
    [Theory]
    [InlineData("""{"vendor":"\ud800"}""", "vendor", "\\ud800")]
    [InlineData("""{"vendor":"NEC\uDC00x"}""", "vendor", "\\uDC00")]
    [InlineData("""{"vendor":"\ud83d\ude00\ud83d"}""", "vendor", "\\ud83d")]  // a pair, then one alone
    [InlineData("""{"vendor":"\\\ud800"}""", "vendor", "\\ud800")]          // an escaped backslash, then the escape
    [InlineData("""{"phase":"\ud800"}""", "phase", "\\ud800")]
    [InlineData("""{"plannedGoLive":"\udfff"}""", "plannedGoLive", "\\udfff")]
    [InlineData("""{"x\ud800":1}""", "body", "\\ud800")]
    public void An_unpaired_surrogate_is_an_invalid_character_named_by_its_field(string json, string field, string escape)
    {
        var error = Assert.Single(Errors<SystemReport>(json));
        Assert.Equal((field, "invalid_character"), (error.Field, error.Code));
        Assert.Contains(escape, error.MessageEn, StringComparison.Ordinal);
        Assert.Contains(escape, error.MessageJa, StringComparison.Ordinal);
        Assert.Contains("サロゲート", error.MessageJa, StringComparison.Ordinal);

        var item = Assert.Single(Errors<MunicipalityReport>("{\"systems\":[{\"businessId\":\"koseki\"," + json[1..] + "]}"));
        Assert.Equal(field == "body" ? "systems[0]" : "systems[0]." + field, item.Field);
    }

    [Theory]
    [InlineData("""{"vendor":"\ud83d\ude00"}""", "\U0001F600")]
    [InlineData("""{"vendor":"\\ud800"}""", "\\ud800")]
    [InlineData("""{"vendor":"a\u0041\n"}""", "aA\n")]
    public void Escapes_that_make_text_are_read_as_text(string json, string vendor)
    {
        var (value, _, errors) = JsonBody.Bind<SystemReport>(Encoding.UTF8.GetBytes(json));
        Assert.Empty(errors);
        Assert.Equal(vendor, value!.Vendor);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_named_as_such()
    {
        var error = Assert.Single(JsonBody.Bind<SystemReport>(Encoding.GetEncoding("iso-8859-1").GetBytes("""{"vendor":"Müller"}""")).Errors);
        Assert.Equal("invalid_utf8", error.Code);
    }

    /// <summary>
    /// Bytes that are not UTF-8 are named by the member that holds them, as every other fault is (a breaker's finding:
    /// always "body"); in a member's name, by that name with the bad bytes as '?'; outside any string, "body", as no
    /// member holds them. Only the first is named.
    /// </summary>
    [Theory]
    [InlineData("""{"vendor":"M#ller"}""", "vendor")]
    [InlineData("""{"phase":"in_production","vendor":"ok","notes":"a#b"}""", "notes")]
    [InlineData("""{"systems":[{"businessId":"x"},{"businessId":"y","vendor":"#"}],"security":[{"itemId":"#"}]}""", "systems[1].vendor")]
    [InlineData("""{"security":[{"itemId":"SEC-1-01"},{"status":"\u00e9#"}]}""", "security[1].status")]
    [InlineData("""["#"]""", "body[0]")]
    [InlineData("""{"ven#dor":"x"}""", "ven?dor")]
    [InlineData("""{"vendor":"x"}#""", "body")]
    [InlineData("""{"vendor":#}""", "body")]
    public void Bytes_that_are_not_utf8_are_named_by_the_member_that_holds_them(string json, string field)
    {
        var bytes = Encoding.UTF8.GetBytes(json).Select(b => b == (byte)'#' ? (byte)0xFF : b).ToArray();
        var error = Assert.Single(JsonBody.Bind<MunicipalityReport>(bytes).Errors);
        Assert.Equal(("invalid_utf8", field), (error.Code, error.Field));
    }

    [Fact]
    public void A_cut_sequence_and_an_encoded_surrogate_are_named_too()
    {
        byte[] cut = [.. """{"vendor":"大"""u8[..^2], .. "\"}"u8];
        byte[] surrogate = [.. """{"vendor":"ok","notes":"""u8, (byte)'"', 0xED, 0xA0, 0x80, (byte)'"', (byte)'}'];
        Assert.Equal("vendor", Assert.Single(JsonBody.Bind<SystemReport>(cut).Errors).Field);
        Assert.Equal("notes", Assert.Single(JsonBody.Bind<SystemReport>(surrogate).Errors).Field);
    }

    [Fact]
    public void A_valid_body_binds_and_keeps_its_document_to_see_what_was_sent()
    {
        var (value, document, errors) = JsonBody.Bind<SystemReport>(Encoding.UTF8.GetBytes("""{"phase":"in_production","vendor":null,"designated":true,"designationReason":"mainframe","designationTarget":"2030-03-31"}"""));
        Assert.Empty(errors);
        Assert.Equal(MigrationPhase.InProduction, value!.Phase);
        Assert.Null(value.Vendor);
        Assert.Equal(DesignationReason.Mainframe, value.DesignationReason);
        Assert.Equal(["phase", "vendor", "designated", "designationReason", "designationTarget"], document.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Wrong_strings_and_booleans_are_found_with_the_other_faults()
    {
        var errors = Errors<SystemReport>("""{"vendor":123,"designated":"yes","phase":"bogus","regressionReason":false}""");
        Assert.Equal([("vendor", "wrong_type"), ("designated", "wrong_type"), ("phase", "unknown_value"), ("regressionReason", "wrong_type")], errors.Select(e => (e.Field, e.Code)));
    }

    [Fact]
    public void An_unknown_member_is_answered_with_the_members_the_body_takes()
    {
        // Not "the municipality comes from the URL" on every endpoint (the admin API's bodies have no municipality): the list.
        var error = Assert.Single(Errors<SystemReport>("""{"Vendor":"a"}"""));
        Assert.Equal("unknown_property", error.Code);
        Assert.Contains("the properties are: ", error.MessageEn, StringComparison.Ordinal);
        Assert.Contains("使える項目: ", error.MessageJa, StringComparison.Ordinal);
        foreach (var member in new[] { "phase", "vendor", "plannedGoLive" })
        {
            Assert.Contains(member, error.MessageEn, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_unknown_member_sent_twice_is_unknown_then_a_duplicate()
    {
        var errors = Errors<SystemReport>("""{"tenant":1,"vendor":"a","tenant":2}""");
        Assert.Equal([("tenant", "unknown_property"), ("tenant", "duplicate_property")], errors.Select(e => (e.Field, e.Code)));
    }

    [Fact]
    public void An_escaped_member_name_is_the_member_it_spells()
    {
        var (value, document, errors) = JsonBody.Bind<MunicipalityReport>(Encoding.UTF8.GetBytes("""{"systems":[{"business\u0049d":"koseki","v\u0065ndor":"エスケープ"}]}"""));
        Assert.Empty(errors);
        Assert.Equal("エスケープ", value!.Systems![0].Vendor);
        Assert.Equal(new HashSet<string> { "businessId", "vendor" }, JsonBody.Members<SystemReportItem>(document.GetProperty("systems")[0]));
    }

    [Fact]
    public void The_members_sent_are_the_contract_names_of_those_present()
    {
        var (_, document, errors) = JsonBody.Bind<SystemReport>(Encoding.UTF8.GetBytes("""{"vendor":null,"phase":"testing"}"""));
        Assert.Empty(errors);
        Assert.Equal(new HashSet<string> { "phase", "vendor" }, JsonBody.Members<SystemReport>(document));
        Assert.Empty(JsonBody.Members<SystemReport>(JsonBody.Bind<SystemReport>(Encoding.UTF8.GetBytes("{}")).Document));
    }

    [Fact]
    public void The_members_sent_answer_as_a_read_only_set_in_contract_order()
    {
        var (_, document, errors) = JsonBody.Bind<SystemReport>(Encoding.UTF8.GetBytes("""{"regressionReason":"戻し","vendor":null,"phase":"testing"}"""));
        Assert.Empty(errors);
        var sent = JsonBody.Members<SystemReport>(document);

        Assert.Equal(3, sent.Count);
        Assert.True(sent.Contains("vendor"));
        Assert.False(sent.Contains("hosting"));
        Assert.False(sent.Contains("Vendor")); // ordinal, as the contract's names
        Assert.False(sent.Contains("unknown"));
        Assert.Equal(["phase", "vendor", "regressionReason"], sent.ToArray()); // the contract's order, not the body's
        Assert.True(sent.SetEquals(["vendor", "regressionReason", "phase"]));
        Assert.True(sent.IsSubsetOf(["phase", "vendor", "regressionReason", "hosting"]));
        Assert.True(sent.IsProperSubsetOf(["phase", "vendor", "regressionReason", "hosting"]));
        Assert.False(sent.IsSupersetOf(["phase", "hosting"]));
        Assert.True(sent.Overlaps(["hosting", "phase"]));

        // What a report leaves out is kept: the omitted members, in the change's order; none for a full report.
        Assert.Equal(SystemChange.Members.Where(m => m is not ("phase" or "vendor" or "regressionReason")), ReportingService.NotGiven(SystemChange.Members, sent));
        Assert.Empty(ReportingService.NotGiven(SecurityChange.Members, new HashSet<string>(SecurityChange.Members)));
    }

    [Fact]
    public void Items_deep_in_a_report_are_named_by_their_full_path()
    {
        var errors = Errors<MunicipalityReport>("""{"security":[{"itemId":"SEC-1-01","status":"done"},{"itemId":"SEC-1-02","lastReviewed":"2026-02-30","itemId":"x"}]}""");
        Assert.Equal([("security[0].status", "unknown_value"), ("security[1].lastReviewed", "wrong_type"), ("security[1].itemId", "duplicate_property")],
            errors.Select(e => (e.Field, e.Code)));
    }
}

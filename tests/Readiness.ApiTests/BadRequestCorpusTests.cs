using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Readiness.Web.Api;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>A host where 千代田区 has made one report with the idempotency key "corpus-original".</summary>
public sealed class CorpusHost : ApiHost
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var client = Municipality(Chiyoda);
        await PutSystem(client, Chiyoda, "child_allowance", """{"vendor":"初期ベンダー"}""");
        using var report = await client.SendAsync(Request(HttpMethod.Post, $"/api/v1/municipalities/{Chiyoda}/reports",
            """{"security":[{"itemId":"SEC-1-01","status":"partial"}]}""", idempotencyKey: "corpus-original", anyVersion: true));
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
    }
}

/// <summary>
/// More than 60 bad requests. Each must get a 4xx problem details naming the fault (never a 5xx), and change
/// neither the municipality's state nor its audit trail.
/// </summary>
public sealed class BadRequestCorpusTests(CorpusHost host) : IClassFixture<CorpusHost>
{
    private const string M = ApiHost.Chiyoda;
    private const string Sys = $"/api/v1/municipalities/{M}/systems/child_allowance";
    private const string Sec = $"/api/v1/municipalities/{M}/security/SEC-1-01";
    private const string Rep = $"/api/v1/municipalities/{M}/reports";
    private const string Hist = $"/api/v1/municipalities/{M}/history";

    /// <summary>If-Match: "current" (the right ETag), "none", "stale", or a literal header value.</summary>
    public sealed record Case(string Method, string Path, string? Body, string IfMatch, int Status, string Field, string? Key = null, string? ContentType = "application/json", bool National = false, bool Chunked = false, string? IfNoneMatch = null);

    private static readonly string Long101 = new('k', 101);

    public static readonly Dictionary<string, Case> Corpus = new()
    {
        // Malformed JSON and wrong shapes.
        ["json truncated"] = new("PUT", Sys, """{"phase":""", "current", 400, "phase"),
        ["json not json"] = new("PUT", Sys, "not json", "current", 400, "body"),
        ["json empty body"] = new("PUT", Sys, "", "current", 400, "body"),
        ["json null body"] = new("PUT", Sys, "null", "current", 400, "body"),
        ["json array body"] = new("PUT", Sys, "[]", "current", 400, "body"),
        ["json string body"] = new("PUT", Sys, "\"in_production\"", "current", 400, "body"),
        ["json trailing comma"] = new("PUT", Sys, """{"phase":"testing",}""", "current", 400, "body"),
        ["json single quotes"] = new("PUT", Sys, "{'phase':'testing'}", "current", 400, "body"),
        ["json comment"] = new("PUT", Sys, """{"phase":"testing" /* x */}""", "current", 400, "body"),
        ["json two documents"] = new("PUT", Sys, """{"phase":"testing"}{"phase":"testing"}""", "current", 400, "body"),
        ["json too deep"] = new("PUT", Sys, """{"vendor":""" + string.Concat(Enumerable.Repeat("""{"a":""", 40)) + "1" + new string('}', 41), "current", 400, "vendor.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a"),
        ["json invalid utf8"] = new("PUT", Sys, "\u0001BINARY", "current", 400, "??"), // a member name of bytes FF FE: named, the bad bytes as ?

        // Wrong types and unknown values.
        ["phase as integer"] = new("PUT", Sys, """{"phase":3}""", "current", 400, "phase"),
        ["phase other casing"] = new("PUT", Sys, """{"phase":"InProduction"}""", "current", 400, "phase"),
        ["phase unknown"] = new("PUT", Sys, """{"phase":"done"}""", "current", 400, "phase"),
        ["phase flags combined"] = new("PUT", Sys, """{"phase":"project_setup, current_system_survey"}""", "current", 400, "phase"),
        ["phase numeric string"] = new("PUT", Sys, """{"phase":"9"}""", "current", 400, "phase"),
        ["notApplicable as string"] = new("PUT", Sys, """{"notApplicable":"yes"}""", "current", 400, "notApplicable"),
        ["notApplicable as number"] = new("PUT", Sys, """{"notApplicable":1}""", "current", 400, "notApplicable"),
        ["notApplicable null"] = new("PUT", Sys, """{"notApplicable":null}""", "current", 400, "notApplicable"),
        ["vendor as number"] = new("PUT", Sys, """{"vendor":123}""", "current", 400, "vendor"),
        ["hosting unknown"] = new("PUT", Sys, """{"hosting":"cloud"}""", "current", 400, "hosting"),
        ["designated as string"] = new("PUT", Sys, """{"designated":"yes"}""", "current", 400, "designated"),
        ["designated null"] = new("PUT", Sys, """{"designated":null}""", "current", 400, "designated"),
        ["phase null"] = new("PUT", Sys, """{"phase":null}""", "current", 400, "phase"),
        ["read-only member"] = new("PUT", Sys, """{"migrated":true}""", "current", 400, "migrated"),
        ["old designation object"] = new("PUT", Sys, """{"designation":{"reason":"mainframe","targetDate":"2030-03-31"}}""", "current", 400, "designation"),
        ["designation reason unknown"] = new("PUT", Sys, """{"designated":true,"designationReason":"lazy","designationTarget":"2030-03-31"}""", "current", 400, "designationReason"),

        // Impossible and out-of-range dates.
        ["date 30 February"] = new("PUT", Sys, """{"plannedGoLive":"2026-02-30"}""", "current", 400, "plannedGoLive"),
        ["date month 13"] = new("PUT", Sys, """{"plannedGoLive":"2026-13-01"}""", "current", 400, "plannedGoLive"),
        ["date slashes"] = new("PUT", Sys, """{"plannedGoLive":"2026/04/01"}""", "current", 400, "plannedGoLive"),
        ["date as number"] = new("PUT", Sys, """{"plannedGoLive":20260401}""", "current", 400, "plannedGoLive"),
        ["date with time"] = new("PUT", Sys, """{"plannedGoLive":"2026-04-01T00:00:00Z"}""", "current", 400, "plannedGoLive"),
        ["date before window"] = new("PUT", Sys, """{"plannedGoLive":"2019-12-31"}""", "current", 422, "plannedGoLive"),
        ["date after window"] = new("PUT", Sys, """{"plannedGoLive":"2041-01-01"}""", "current", 422, "plannedGoLive"),
        ["designation target impossible"] = new("PUT", Sys, """{"designated":true,"designationReason":"mainframe","designationTarget":"2030-02-29"}""", "current", 400, "designationTarget"),
        ["review date in future"] = new("PUT", Sec, """{"status":"implemented","lastReviewed":"2099-01-01"}""", "current", 422, "lastReviewed"),
        ["review date impossible"] = new("PUT", Sec, """{"status":"implemented","lastReviewed":"2026-04-31"}""", "current", 400, "lastReviewed"),

        // Rules of the domain.
        ["regression without reason"] = new("PUT", Sys, """{"phase":"not_started"}""", "current", 422, "regressionReason"),
        ["designation without target"] = new("PUT", Sys, """{"designated":true,"designationReason":"vendor_capacity"}""", "current", 422, "designationTarget"),
        ["designation without reason"] = new("PUT", Sys, """{"designated":true,"designationTarget":"2030-03-31"}""", "current", 422, "designationReason"),
        ["vendor too long"] = new("PUT", Sys, $$"""{"vendor":"{{new string('x', 101)}}"}""", "current", 422, "vendor"),
        ["vendor control character"] = new("PUT", Sys, """{"vendor":"A\u0007B"}""", "current", 422, "vendor"),
        ["reason too long"] = new("PUT", Sys, $$"""{"phase":"not_started","regressionReason":"{{new string('r', 501)}}"}""", "current", 422, "regressionReason"),
        ["old reason name"] = new("PUT", Sys, """{"phase":"not_started","reason":"old name"}""", "current", 400, "reason"),
        ["security status null"] = new("PUT", Sec, """{"status":null}""", "current", 400, "status"),
        ["security status unknown"] = new("PUT", Sec, """{"status":"done"}""", "current", 400, "status"),
        ["evidence too long"] = new("PUT", Sec, $$"""{"status":"implemented","evidence":"{{new string('e', 1001)}}"}""", "current", 422, "evidence"),
        ["evidence broken link"] = new("PUT", Sec, """{"status":"implemented","evidence":"https://exa mple.jp/\"<script>"}""", "current", 422, "evidence"),

        // Tenant or target in the body: never used, always refused.
        ["tenant in body"] = new("PUT", Sys, """{"tenant":"271004","phase":"testing"}""", "current", 400, "tenant"),
        ["businessId in put body"] = new("PUT", Sys, """{"businessId":"resident_registry","phase":"testing"}""", "current", 400, "businessId"),
        ["itemId in put body"] = new("PUT", Sec, """{"itemId":"SEC-1-02","status":"implemented"}""", "current", 400, "itemId"),
        ["duplicate property"] = new("PUT", Sys, """{"phase":"testing","phase":"fit_gap"}""", "current", 400, "phase"),
        ["property other casing"] = new("PUT", Sys, """{"Phase":"testing"}""", "current", 400, "Phase"),
        ["municipality in report"] = new("POST", Rep, """{"municipalityCode":"271004","systems":[]}""", "*", 400, "municipalityCode", Key: "k-municipality"),
        ["tenant in report item"] = new("POST", Rep, """{"systems":[{"businessId":"child_allowance","phase":"testing","tenant":"271004"}]}""", "*", 400, "systems[0].tenant", Key: "k-tenant"),

        // Unknown ids and bad codes (also with injection strings).
        ["unknown business"] = new("PUT", $"/api/v1/municipalities/{M}/systems/payroll", """{"phase":"testing"}""", "current", 404, "businessId"),
        ["business injection"] = new("PUT", $"/api/v1/municipalities/{M}/systems/x'%20OR%20'1'%3D'1", """{"phase":"testing"}""", "current", 400, "businessId"),
        ["unknown item"] = new("PUT", $"/api/v1/municipalities/{M}/security/SEC-99-99", """{"status":"implemented"}""", "current", 404, "itemId"),
        ["item injection"] = new("PUT", $"/api/v1/municipalities/{M}/security/%3Cscript%3Ealert(1)%3C%2Fscript%3E", """{"status":"implemented"}""", "current", 400, "itemId"),
        ["code wrong check digit"] = new("PUT", "/api/v1/municipalities/131017/systems/child_allowance", """{"phase":"testing"}""", "0", 400, "code"),
        ["code five digits"] = new("PUT", "/api/v1/municipalities/13101/systems/child_allowance", """{"phase":"testing"}""", "0", 400, "code"),
        ["code with letter"] = new("PUT", "/api/v1/municipalities/13101a/systems/child_allowance", """{"phase":"testing"}""", "0", 400, "code"),
        ["code full-width digits"] = new("PUT", "/api/v1/municipalities/%EF%BC%91%EF%BC%93%EF%BC%91%EF%BC%90%EF%BC%91%EF%BC%96/systems/child_allowance", """{"phase":"testing"}""", "0", 400, "code"),
        ["code injection"] = new("PUT", "/api/v1/municipalities/131016'%20OR%201%3D1--/systems/child_allowance", """{"phase":"testing"}""", "0", 400, "code"),
        // A well-formed If-Match: a malformed one ("0", unquoted) is 400 naming it on every write, before the target is looked up (WriteConditionsTests).
        ["code valid digit not a municipality"] = new("PUT", "/api/v1/municipalities/000001/systems/child_allowance", """{"phase":"testing"}""", "\"0\"", 404, "code"),
        ["get code with letter"] = new("GET", "/api/v1/municipalities/13101X", null, "none", 400, "code", National: true),
        ["history not a municipality"] = new("GET", "/api/v1/municipalities/000001/history", null, "none", 404, "code", National: true),
        ["prefecture out of 01-47"] = new("GET", "/api/v1/prefectures/48", null, "none", 400, "prefCode", National: true),
        ["prefecture injection"] = new("GET", "/api/v1/prefectures/13%27%3B%20DROP%20TABLE%20x%3B--", null, "none", 400, "prefCode", National: true),

        // Concurrency headers.
        ["if-match missing"] = new("PUT", Sys, """{"phase":"testing"}""", "none", 428, "If-Match"),
        ["if-match missing on security"] = new("PUT", Sec, """{"status":"implemented"}""", "none", 428, "If-Match"),
        ["not applicable in a phase"] = new("PUT", Sys, """{"phase":"testing","notApplicable":true}""", "current", 422, "phase"),
        ["designated not applicable"] = new("PUT", Sys, """{"notApplicable":true,"designated":true,"designationReason":"mainframe","designationTarget":"2029-03-31"}""", "current", 422, "designated"),
        ["if-match missing on report"] = new("POST", Rep, """{"security":[{"itemId":"SEC-1-02","status":"implemented"}]}""", "none", 428, "If-Match", Key: "k-no-if-match"),
        ["if-match stale"] = new("PUT", Sys, """{"phase":"testing"}""", "stale", 412, "If-Match"),
        ["if-match stale on report"] = new("POST", Rep, """{"security":[{"itemId":"SEC-1-02","status":"implemented"}]}""", "stale", 412, "If-Match", Key: "k-stale"),
        ["if-match weak"] = new("PUT", Sys, """{"phase":"testing"}""", "W/\"1\"", 412, "If-Match"),
        ["if-match leading zero"] = new("PUT", Sys, """{"phase":"testing"}""", "leading-zero", 412, "If-Match"),
        ["if-match stale list"] = new("PUT", Sys, """{"phase":"testing"}""", "stale-list", 412, "If-Match"),
        ["if-none-match star on write"] = new("PUT", Sys, """{"phase":"testing"}""", "current", 412, "If-None-Match", IfNoneMatch: "*"),
        ["if-match malformed list"] = new("PUT", Sys, """{"phase":"testing"}""", "\"1\", 2", 400, "If-Match"),
        ["if-match unquoted"] = new("PUT", Sys, """{"phase":"testing"}""", "abc", 400, "If-Match"),
        ["if-match negative"] = new("PUT", Sys, """{"phase":"testing"}""", "\"-1\"", 412, "If-Match"),

        // Idempotency keys.
        ["idempotency key missing"] = new("POST", Rep, """{"security":[{"itemId":"SEC-1-02","status":"implemented"}]}""", "*", 400, "Idempotency-Key"),
        ["idempotency key with space"] = new("POST", Rep, """{"security":[{"itemId":"SEC-1-02","status":"implemented"}]}""", "*", 400, "Idempotency-Key", Key: "a b"),
        ["idempotency key too long"] = new("POST", Rep, """{"security":[{"itemId":"SEC-1-02","status":"implemented"}]}""", "*", 400, "Idempotency-Key", Key: Long101),
        ["idempotency key empty"] = new("POST", Rep, """{"security":[{"itemId":"SEC-1-02","status":"implemented"}]}""", "*", 400, "Idempotency-Key", Key: ""),
        ["idempotency key replayed with other body"] = new("POST", Rep, """{"security":[{"itemId":"SEC-1-01","status":"implemented"}]}""", "*", 422, "Idempotency-Key", Key: "corpus-original"),

        // Whole reports.
        ["report empty"] = new("POST", Rep, "{}", "*", 422, "report", Key: "k-empty"),
        ["report systems not array"] = new("POST", Rep, """{"systems":{"businessId":"child_allowance"}}""", "*", 400, "systems", Key: "k-object"),
        ["report item without businessId"] = new("POST", Rep, """{"systems":[{"phase":"testing"}]}""", "*", 400, "systems[0].businessId", Key: "k-nobusiness"),
        ["report businessId as number"] = new("POST", Rep, """{"systems":[{"businessId":123}]}""", "*", 400, "systems[0].businessId", Key: "k-number"),
        ["report null item"] = new("POST", Rep, """{"systems":[null]}""", "*", 400, "systems[0]", Key: "k-null"),
        ["report unknown business"] = new("POST", Rep, """{"systems":[{"businessId":"payroll","phase":"testing"}]}""", "*", 422, "systems[0].businessId", Key: "k-unknown"),
        ["report duplicate system"] = new("POST", Rep, """{"systems":[{"businessId":"child_allowance","phase":"testing"},{"businessId":"child_allowance","phase":"testing"}]}""", "*", 422, "systems[1].businessId", Key: "k-dup"),
        ["report duplicate item"] = new("POST", Rep, """{"security":[{"itemId":"SEC-1-02","status":"implemented"},{"itemId":"SEC-1-02","status":"partial"}]}""", "*", 422, "security[1].itemId", Key: "k-dupitem"),
        ["report all or nothing"] = new("POST", Rep, """{"systems":[{"businessId":"resident_registry","phase":"in_production"}],"security":[{"itemId":"SEC-1-02","status":"done"}]}""", "*", 400, "security[0].status", Key: "k-atomic1"),
        ["report all or nothing rules"] = new("POST", Rep, """{"systems":[{"businessId":"resident_registry","phase":"in_production"}],"security":[{"itemId":"SEC-1-02","lastReviewed":"2099-01-01","status":"implemented"}]}""", "*", 422, "security[0].lastReviewed", Key: "k-atomic2"),

        // Media types, methods, routes and sizes.
        ["method not allowed"] = new("DELETE", Sys, null, "none", 405, "method"),
        ["no such route"] = new("GET", "/api/v1/municipalities/131016/secrets", null, "none", 404, "path"),
        ["content-type text"] = new("PUT", Sys, """{"phase":"testing"}""", "current", 415, "Content-Type", ContentType: "text/plain"),
        ["content-type form"] = new("PUT", Sys, "phase=testing", "current", 415, "Content-Type", ContentType: "application/x-www-form-urlencoded"),
        ["content-type missing"] = new("PUT", Sys, """{"phase":"testing"}""", "current", 415, "Content-Type", ContentType: null),
        ["charset shift_jis"] = new("PUT", Sys, """{"vendor":"株式会社サンプル"}""", "current", 415, "Content-Type", ContentType: "application/json; charset=shift_jis"),
        ["charset shift_jis on report"] = new("POST", Rep, """{"systems":[{"businessId":"child_allowance","vendor":"株式会社サンプル"}]}""", "*", 415, "Content-Type", Key: "k-sjis", ContentType: "application/json; charset=shift_jis"),
        ["merge patch as json"] = new("PATCH", Sys, """{"vendor":"x"}""", "current", 415, "Content-Type"),
        ["json as merge patch on put"] = new("PUT", Sys, """{"vendor":"x"}""", "current", 415, "Content-Type", ContentType: "application/merge-patch+json"),
        ["patch phase removed"] = new("PATCH", Sys, """{"phase":null}""", "current", 400, "phase", ContentType: "application/merge-patch+json"),
        ["patch unknown member"] = new("PATCH", Sec, """{"tenant":"271004"}""", "current", 400, "tenant", ContentType: "application/merge-patch+json"),
        ["patch without if-match"] = new("PATCH", Sec, """{"evidence":"x"}""", "none", 428, "If-Match", ContentType: "application/merge-patch+json"),
        ["huge body"] = new("PUT", Sys, $$"""{"vendor":"{{new string('v', 300 * 1024)}}"}""", "current", 413, "body"),
        ["huge chunked body"] = new("POST", Rep, $$"""{"systems":[{"businessId":"child_allowance","vendor":"{{new string('v', 400 * 1024)}}"}]}""", "*", 413, "systems[0].vendor", Key: "k-huge", Chunked: true), // one value far over its length: named, not "split the report"

        ["sign-in huge form"] = new("POST", "/auth/local/signin", "token=" + new string('t', 64 * 1024), "none", 413, "body", ContentType: "application/x-www-form-urlencoded"),
        ["sign-in huge json"] = new("POST", "/auth/local/signin", $$"""{"token":"{{new string('t', 20 * 1024)}}"}""", "none", 413, "body"),
        ["sign-in shift_jis"] = new("POST", "/auth/local/signin", """{"token":"x"}""", "none", 415, "Content-Type", ContentType: "application/json; charset=shift_jis"),
        ["sign-in without token"] = new("POST", "/auth/local/signin", "{}", "none", 400, "token"),

        // Query parameters.
        ["history limit zero"] = new("GET", Hist + "?limit=0", null, "none", 400, "limit"),
        ["history limit text"] = new("GET", Hist + "?limit=abc", null, "none", 400, "limit"),
        ["history limit too big"] = new("GET", Hist + "?limit=201", null, "none", 400, "limit"),
        ["history limit injection"] = new("GET", Hist + "?limit=1%3BDROP%20TABLE%20readiness_audit", null, "none", 400, "limit"),
        ["history cursor garbage"] = new("GET", Hist + "?cursor=!!!", null, "none", 400, "cursor"),
        ["history cursor injection"] = new("GET", Hist + "?cursor=' OR 1=1 --", null, "none", 400, "cursor"),
        ["export unknown prefecture"] = new("GET", "/api/v1/export/municipalities.csv?prefecture=99", null, "none", 400, "prefecture", National: true),
        ["export two prefectures"] = new("GET", "/api/v1/export/municipalities.csv?prefecture=13&prefecture=14", null, "none", 400, "prefecture", National: true),
        ["export prefecture injection"] = new("GET", "/api/v1/export/municipalities.csv?prefecture=13'%20OR%20'1'%3D'1", null, "none", 400, "prefecture", National: true),
    };

    public static TheoryData<string> Names() => new(Corpus.Keys);

    [Fact]
    public void Corpus_has_at_least_sixty_cases() => Assert.True(Corpus.Count >= 60, $"{Corpus.Count} cases");

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Bad_request_gets_a_problem_naming_the_fault_and_changes_nothing(string name)
    {
        var c = Corpus[name];
        var (stateBefore, versionBefore) = await host.GetMunicipality(M);
        var historyBefore = await host.HistoryTotal(M);

        using var client = c.National ? host.National() : host.Municipality(M);
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        if (c.Body is not null)
        {
            var bytes = name == "json invalid utf8" ? [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D] : Encoding.UTF8.GetBytes(c.Body);
            HttpContent content = c.Chunked ? new StreamContent(new MemoryStream(bytes)) : new ByteArrayContent(bytes);
            if (c.ContentType is not null)
            {
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);
            }

            if (c.Chunked)
            {
                request.Headers.TransferEncodingChunked = true;
            }

            request.Content = content;
        }

        var ifMatch = c.IfMatch switch
        {
            "current" => $"\"{versionBefore}\"",
            "stale" => $"\"{versionBefore + 7}\"",
            "leading-zero" => $"\"0{versionBefore}\"",
            "stale-list" => $"\"{versionBefore + 7}\", W/\"{versionBefore}\", \"0{versionBefore}\"",
            "none" => null,
            var literal => literal,
        };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (c.IfNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", c.IfNoneMatch);
        }

        if (c.Key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", Uri.UnescapeDataString(c.Key));
        }

        using var response = await client.SendAsync(request);
        Assert.InRange((int)response.StatusCode, 400, 499);
        await ApiHost.AssertProblem(response, (HttpStatusCode)c.Status, c.Field);

        // An X-Request-Id names a request id the server takes: never an invalid key echoed back.
        if (response.Headers.TryGetValues("X-Request-Id", out var ids))
        {
            Assert.True(ReportingService.IsValidIdempotencyKey(Assert.Single(ids)), $"X-Request-Id '{ids.Single()}' is not a request id");
        }

        var (stateAfter, versionAfter) = await host.GetMunicipality(M);
        Assert.Equal(versionBefore, versionAfter);
        Assert.Equal(historyBefore, await host.HistoryTotal(M));
        Assert.Equal(stateBefore.GetProperty("systems").GetRawText(), stateAfter.GetProperty("systems").GetRawText());
        Assert.Equal(stateBefore.GetProperty("security").GetRawText(), stateAfter.GetProperty("security").GetRawText());
    }
}

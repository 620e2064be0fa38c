using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A refusal that quotes what was sent writes control, invisible and direction-changing characters as <c>\uXXXX</c>,
/// over real HTTP (a breaker's finding: a NUL, an ESC, CR/LF or U+202E sent in a query value came back inside 「」 as
/// it was, able to end a line in a client's log or reorder the message around it). Every kind of input a refusal
/// quotes: query values (cursor, limit, from, a closed set), a query parameter's name, a body member's name and value,
/// headers, route values, and the dashboard page that says a query value was refused.
/// </summary>
public sealed class RefusalEchoTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chiyoda;

    /// <summary>Each kind: how a URL carries it, the characters, and how a refusal writes them.</summary>
    public static readonly TheoryData<string> Kinds = new() { "nul", "esc", "crlf", "rlo" };

    private static (string Url, string Raw, string Shown) Kind(string kind) => kind switch
    {
        "nul" => ("%00", "\u0000", "\\u0000"),
        "esc" => ("%1B", "\u001B", "\\u001B"),
        "crlf" => ("%0D%0A", "\r\n", "\\u000D\\u000A"),
        _ => ("%E2%80%AE", "\u202E", "\\u202E"),
    };

    /// <summary>Every string in the problem (title, detail, each error's field and messages) holds none of the raw characters, and the detail quotes them escaped.</summary>
    private static async Task AssertQuotedEscapedAsync(HttpResponseMessage response, string raw, string shown, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{what}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        var strings = new List<string> { problem.GetProperty("detail").GetString()! };
        foreach (var error in problem.GetProperty("errors").EnumerateArray())
        {
            strings.AddRange(new[] { "field", "messageJa", "messageEn" }.Select(p => error.GetProperty(p).GetString()!));
        }

        foreach (var s in strings)
        {
            Assert.False(raw.Any(s.Contains), $"{what}: a raw character in «{s}»");
        }

        Assert.True(problem.GetProperty("detail").GetString()!.Contains(shown, StringComparison.Ordinal), $"{what}: «{shown}» not in {text}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_query_value_or_name_is_quoted_escaped(string kind)
    {
        var (url, raw, shown) = Kind(kind);
        using var national = host.National();
        foreach (var path in new[]
        {
            $"/api/v1/municipalities/{M}/history?cursor=a{url}b", // invalid_format
            $"/api/v1/municipalities/{M}/history?limit=1{url}", // invalid_format
            $"/api/v1/nation/changes?cursor={url}", // invalid_format
            $"/api/v1/nation/history?from=2026-01-01{url}", // invalid_format
            $"/api/v1/prefectures/13/municipalities.csv?kind=city{url}", // unknown_value
            $"/api/v1/nation?x{url}y=1", // unknown_parameter
        })
        {
            using var response = await national.GetAsync(new Uri(path, UriKind.Relative));
            await AssertQuotedEscapedAsync(response, raw, shown, path);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_body_member_s_name_or_value_is_quoted_escaped(string kind)
    {
        var (_, raw, shown) = Kind(kind);
        var json = JsonSerializer.Serialize(raw); // "\u001B" as JSON writes it
        using var client = host.Municipality(M, "echo@city.chiyoda");
        var before = (await host.GetMunicipality(M)).Version;
        foreach (var body in new[] { $$"""{"ven{{json[1..^1]}}dor":"x"}""", $$"""{"phase":"x{{json[1..^1]}}"}""" })
        {
            using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{M}/systems/koseki", body, anyVersion: true));
            await AssertQuotedEscapedAsync(response, raw, shown, body);
        }

        Assert.Equal(before, (await host.GetMunicipality(M)).Version);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_route_value_is_quoted_escaped(string kind)
    {
        var (url, raw, shown) = Kind(kind);
        using var national = host.National();
        foreach (var path in new[] { $"/api/v1/municipalities/13{url}016", $"/api/v1/prefectures/1{url}3/changes" })
        {
            using var response = await national.GetAsync(new Uri(path, UriKind.Relative));
            if (kind == "nul" && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                // Kestrel refuses a NUL in the path itself, before any route: nothing is quoted.
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                continue;
            }

            await AssertQuotedEscapedAsync(response, raw, shown, path);
        }
    }

    /// <summary>Only ESC: HTTP carries no NUL, CR or LF in a header, and Kestrel takes no non-ASCII one.</summary>
    [Fact]
    public async Task A_header_is_quoted_escaped()
    {
        using var client = host.Client();
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/municipalities/{M}"))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Ba\u001Bsic eA==");
            using var response = await client.SendAsync(request);
            await AssertQuotedEscapedAsync(response, "\u001B", "\\u001B", "Authorization");
        }

        using var municipality = host.Municipality(M, "echo@city.chiyoda");
        using (var request = ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{M}/systems/koseki", "{}", anyVersion: true))
        {
            request.Content!.Headers.Remove("Content-Type");
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "text/x\u001Bjson");
            using var response = await municipality.SendAsync(request);
            await AssertQuotedEscapedAsync(response, "\u001B", "\\u001B", "Content-Type");
        }
    }

    /// <summary>The dashboard's notice of a refused query value quotes it as the API does.</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_page_s_refused_query_value_is_quoted_escaped(string kind)
    {
        var (url, raw, shown) = Kind(kind);
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var path in new[] { $"/municipalities/{M}/history?cursor=a{url}b", $"/changes?cursor=a{url}b", $"/prefectures/13?kind=x{url}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
            using var response = await pages.SendAsync(request);
            var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var notice = html[html.IndexOf("data-refused=", StringComparison.Ordinal)..];
            notice = notice[..notice.IndexOf("</div>", StringComparison.Ordinal)];
            Assert.False(raw.Where(c => c != '\r' && c != '\n').Any(notice.Contains), $"{path}: a raw character in {notice}");
            Assert.DoesNotContain("a\r\nb", notice, StringComparison.Ordinal);
            Assert.Contains(shown, notice, StringComparison.Ordinal);
        }
    }
}

using Microsoft.Extensions.Primitives;
using Readiness.Web.Api;

namespace Readiness.Tests.Api;

/// <summary>RFC 9110 §13 as <see cref="Preconditions"/> implements it: opaque tags, strong and weak comparison, lists, "*".</summary>
public sealed class PreconditionsTests
{
    private static PreconditionOutcome Evaluate(string method, string? ifMatch, string? ifNoneMatch, string? current = "\"0\"") =>
        Preconditions.Evaluate(method, ifMatch is null ? StringValues.Empty : new StringValues(ifMatch), ifNoneMatch is null ? StringValues.Empty : new StringValues(ifNoneMatch), current).Outcome;

    [Theory]
    [InlineData("\"0\"")]
    [InlineData("W/\"0\"")]          // weak comparison: W/"0" matches "0"
    [InlineData("\"7\", \"0\"")]     // a list
    [InlineData("\"7\",\"0\"")]
    [InlineData("*")]
    public void If_none_match_that_matches_makes_a_get_or_head_304(string header)
    {
        Assert.Equal(PreconditionOutcome.NotModified, Evaluate("GET", null, header));
        Assert.Equal(PreconditionOutcome.NotModified, Evaluate("HEAD", null, header));
        Assert.Equal(PreconditionOutcome.Failed, Evaluate("PUT", null, header));
    }

    [Theory]
    [InlineData("\"00\"")]           // opaque strings: "00" is not "0"
    [InlineData("W/\"1\"")]
    [InlineData("\"a\", W/\"b\"")]
    public void If_none_match_that_does_not_match_proceeds(string header) => Assert.Equal(PreconditionOutcome.Proceed, Evaluate("GET", null, header));

    [Theory]
    [InlineData("\"00\"")]           // the example
    [InlineData("W/\"0\"")]          // strong comparison: a weak tag never matches
    [InlineData("\"1\", \"00\"")]
    [InlineData("\"+0\"")]
    public void If_match_compares_strongly(string header) => Assert.Equal(PreconditionOutcome.Failed, Evaluate("PUT", header, null));

    [Theory]
    [InlineData("\"0\"")]
    [InlineData("\"1\", \"0\"")]
    [InlineData("W/\"0\", \"0\"")]
    [InlineData("*")]
    public void If_match_that_holds_proceeds(string header) => Assert.Equal(PreconditionOutcome.Proceed, Evaluate("PUT", header, null));

    [Fact]
    public void If_match_star_fails_without_a_current_representation() => Assert.Equal(PreconditionOutcome.Failed, Evaluate("PUT", "*", null, current: null));

    [Fact]
    public void If_match_is_evaluated_before_if_none_match() => Assert.Equal(PreconditionOutcome.Failed, Evaluate("GET", "\"1\"", "\"0\""));

    [Theory]
    [InlineData("0")]                // unquoted
    [InlineData("\"0")]
    [InlineData("\"0\", 1")]
    [InlineData("*, \"0\"")]         // "*" stands alone
    [InlineData("\"0 \"")]          // a space is no etagc (RFC 9110 §8.8.3): not a tag that fails to match
    public void Malformed_headers_are_refused(string header)
    {
        Assert.Equal(PreconditionOutcome.Malformed, Evaluate("GET", header, null));
        Assert.Equal(PreconditionOutcome.Malformed, Evaluate("GET", null, header));
    }

    [Theory]
    [InlineData("w/\"0\"")]         // the weak prefix is "W/", case-sensitive (RFC 9110 §8.8.3)
    [InlineData("\"1\", w/\"0\"")]
    [InlineData("W/ \"0\"")]        // no space between "W/" and the quote (entity-tag = [ weak ] opaque-tag)
    [InlineData("W/\t\"0\"")]
    [InlineData("\"1\", W/ \"0\"")]
    [InlineData("W/0")]              // unquoted after the prefix
    [InlineData("W/\"0")]            // no closing quote
    [InlineData("W/\"0\u0001\"")]    // a control character
    [InlineData("W/")]
    public void A_malformed_weak_prefix_is_malformed(string header)
    {
        Assert.Equal(PreconditionOutcome.Malformed, Evaluate("GET", header, null));
        Assert.Equal(PreconditionOutcome.Malformed, Evaluate("GET", null, header));
    }

    [Theory]
    [InlineData(",")]                // RFC 9110 §5.6.1.2: empty list elements are ignored
    [InlineData(" , ,")]
    public void A_list_of_empty_elements_is_no_condition(string header)
    {
        Assert.Equal(PreconditionOutcome.Proceed, Evaluate("GET", null, header));
        Assert.Equal(PreconditionOutcome.Proceed, Evaluate("PUT", header, null));
        Assert.True(Preconditions.TryParse(new StringValues(header), out var tags));
        Assert.NotNull(tags);
        Assert.Empty(tags);
    }

    private static Microsoft.AspNetCore.Http.DefaultHttpContext WithIfMatch(string header)
    {
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        http.Request.Method = "PUT";
        http.Request.Headers.IfMatch = header;
        return http;
    }

    [Fact]
    public void A_required_if_match_of_empty_elements_is_missing_not_malformed()
    {
        Assert.Equal(428, Preconditions.ReadIfMatch(WithIfMatch(","), required: true, out _)?.StatusCode);
        Assert.Null(Preconditions.ReadIfMatch(WithIfMatch(","), required: false, out var versions));
        Assert.Null(versions);
    }

    [Theory]
    [InlineData(", \"0\"")]
    [InlineData("\"7\", , \"0\",")]
    public void Empty_elements_among_tags_are_ignored(string header)
    {
        Assert.Equal(PreconditionOutcome.NotModified, Evaluate("GET", null, header));
        Assert.Equal(PreconditionOutcome.Proceed, Evaluate("PUT", header, null));
    }

    [Fact]
    public void Several_field_lines_form_one_list()
    {
        Assert.Equal(PreconditionOutcome.NotModified,
            Preconditions.Evaluate("GET", StringValues.Empty, new StringValues(["\"5\"", "W/\"0\""]), "\"0\"").Outcome);
    }

    [Theory]
    [InlineData("\"12\"", new long[] { 12 })]
    [InlineData("\"012\"", new long[0])]
    [InlineData("\"+12\"", new long[0])]
    [InlineData("W/\"12\"", new long[0])]
    [InlineData("\"-1\"", new long[0])]
    [InlineData("\"1\", \"2\", \"1\"", new long[] { 1, 2 })]
    [InlineData("\"99999999999999999999\"", new long[0])]
    public void Only_tags_spelled_as_a_version_name_a_version(string header, long[] versions)
    {
        Assert.True(Preconditions.TryParse(new StringValues(header), out var tags));
        Assert.Equal(versions, Preconditions.Versions(tags!));
    }

    [Fact]
    public void The_etag_of_a_version_is_its_decimal_in_quotes() => Assert.Equal("\"120\"", Preconditions.ETag(120));
}

using Microsoft.AspNetCore.Routing.Patterns;
using Readiness.Web.Api;

namespace Readiness.Tests.Api;

/// <summary>
/// <see cref="ApiPaths.Canonical"/> tells a path written as its route pattern writes it without making a string (every
/// API request asks, issue 14's allocation per change). The answer must stay the full rewrite's: compared here with
/// the rule as it was (split, rewrite each literal, join, compare) over random spellings of real patterns: literals in
/// other cases, slashes doubled, leading and trailing, mixed segments ({code}.csv) with their literal in another case.
/// Written with the change; it fails when the in-place check calls a path canonical that the rewrite would change
/// (checked by dropping its trailing-slash test: 3,000 of 3,000 random paths are compared).
/// </summary>
public sealed class ApiPathsTests
{
    private static readonly string[] Patterns =
    [
        "/api/v1/municipalities/{code}/security/{itemId}",
        "/api/v1/municipalities/{code}/systems/{businessId}",
        "/api/v1/municipalities/{code}",
        "/api/v1/nation",
        "/api/v1/prefectures/{prefecture}/export.csv",
        "/api/v1/areas/{code}.csv",
        "/api/v1/maps/{layer}.json",
        "/api/v1/files/v{version}",
    ];

    [Fact]
    public void The_in_place_check_answers_as_the_full_rewrite_for_random_spellings()
    {
        var random = new Random(14);
        for (var n = 0; n < 3000; n++)
        {
            var pattern = RoutePatternFactory.Parse(Patterns[random.Next(Patterns.Length)]);
            var path = Spell(pattern, random);
            Assert.Equal(FormerRule(path, pattern), ApiPaths.Canonical(path, pattern));
        }
    }

    [Theory]
    [InlineData("/api/v1/municipalities/131016/security/SEC-1-01", null)]
    [InlineData("/api/v1/municipalities/131016/security/SEC-1-01/", "/api/v1/municipalities/131016/security/SEC-1-01")]
    [InlineData("/API/v1/municipalities/131016/security/SEC-1-01", "/api/v1/municipalities/131016/security/SEC-1-01")]
    [InlineData("//api/v1/municipalities/131016/security/SEC-1-01", "/api/v1/municipalities/131016/security/SEC-1-01")]
    public void A_change_path_is_canonical_or_named(string path, string? expected) =>
        Assert.Equal(expected, ApiPaths.Canonical(path, RoutePatternFactory.Parse(Patterns[0])));

    /// <summary>A path routing would match to <paramref name="pattern"/>, with its literals' case, slashes and values varied at random.</summary>
    private static string Spell(RoutePattern pattern, Random random)
    {
        var segments = new List<string>();
        foreach (var segment in pattern.PathSegments)
        {
            var text = string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => random.Next(4) == 0 ? Recase(literal.Content, random) : literal.Content,
                RoutePatternParameterPart => random.Next(3) switch { 0 => "131016", 1 => "SEC-1-01", _ => "Ab" },
                _ => string.Empty,
            }));
            segments.Add(text);
        }

        var path = string.Join(random.Next(20) == 0 ? "//" : "/", segments);
        var lead = random.Next(10) switch { 0 => "//", 1 => "", _ => "/" };
        var trail = random.Next(6) switch { 0 => "/", 1 => "//", _ => "" };
        return lead + path + trail;
    }

    private static string Recase(string text, Random random) =>
        string.Concat(text.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)));

    /// <summary>ApiPaths.Canonical as it was before the in-place check (round 47).</summary>
    private static string? FormerRule(string path, RoutePattern pattern)
    {
        if (pattern.Parameters.Any(p => p.IsCatchAll))
        {
            return null;
        }

        var segments = path.Trim('/').Split('/');
        for (var i = 0; i < segments.Length && i < pattern.PathSegments.Count; i++)
        {
            var parts = pattern.PathSegments[i].Parts;
            if (parts is [RoutePatternLiteralPart only])
            {
                segments[i] = only.Content;
                continue;
            }

            if (parts[^1] is RoutePatternLiteralPart last && segments[i].EndsWith(last.Content, StringComparison.OrdinalIgnoreCase))
            {
                segments[i] = segments[i][..^last.Content.Length] + last.Content;
            }

            if (parts[0] is RoutePatternLiteralPart first && segments[i].StartsWith(first.Content, StringComparison.OrdinalIgnoreCase))
            {
                segments[i] = first.Content + segments[i][first.Content.Length..];
            }
        }

        var canonical = "/" + string.Join('/', segments);
        return canonical == path ? null : canonical;
    }
}

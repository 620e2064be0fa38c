using System.Text.RegularExpressions;
using Readiness.Testing;

namespace Readiness.Tests.Api;

/// <summary>
/// Every JSON request body is read through <c>JsonBody</c> (unknown and misspelt members refused naming them, the
/// contract's types and nullability, 400/413/415 problems), never by the serializer directly: two endpoints that did
/// (scenarios, API clients) silently dropped a misspelt member.
/// </summary>
public sealed partial class RequestBodySourceTests
{
    [Fact]
    public void No_endpoint_reads_a_request_body_with_the_serializer_directly()
    {
        var root = RepositoryFolder.Root;
        var web = Path.Combine(root, "web", "Readiness.Web");
        var sources = Directory.GetFiles(web, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(sources.Count > 50, $"{sources.Count} source files under {web}");
        var offenders = sources
            .Where(f => Path.GetFileName(f) != "JsonBody.cs")
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(web, f), Line: i + 1, Text: line)))
            .Where(l => DirectBodyRead().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "Read these bodies with JsonBody.ReadAsync:\n" + string.Join("\n", offenders));
    }

    [Theory]
    [InlineData("body = await http.Request.ReadFromJsonAsync<CreateClientRequest>(http.RequestAborted);")]
    [InlineData("input = await JsonSerializer.DeserializeAsync<ScenarioInput>(http.Request.Body, options, ct);")]
    [InlineData("var x = await request.ReadFromJsonAsync<Foo>();")]
    public void The_rule_recognises_a_direct_read(string line) => Assert.Matches(DirectBodyRead(), line);

    [GeneratedRegex(@"ReadFromJsonAsync\s*<|DeserializeAsync\s*<[^>]+>\s*\([^,]*Request\.Body")]
    private static partial Regex DirectBodyRead();
}

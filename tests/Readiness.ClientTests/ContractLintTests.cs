using System.Text.Json;
using System.Text.Json.Nodes;

namespace Readiness.ClientTests;

/// <summary>
/// The served contract passes Redocly CLI's <c>recommended</c> ruleset (tests/openapi-lint/redocly.yaml, the CLI pinned
/// in its package-lock.json) with zero errors and zero warnings, and the linter is shown to catch a fault.
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class ContractLintTests(ContractHost host)
{
    [Fact]
    public async Task Served_contract_has_no_errors_and_no_warnings_under_the_recommended_ruleset()
    {
        var (errors, warnings, report) = await LintAsync(host.Contract);

        Assert.True(errors == 0 && warnings == 0, $"Redocly recommended: {errors} errors, {warnings} warnings\n{report}");
    }

    [Fact]
    public async Task Linter_reports_an_operation_without_operationId()
    {
        var contract = JsonNode.Parse(host.Contract)!.AsObject();
        var nation = contract["paths"]!["/api/v1/nation"]!["get"]!.AsObject();
        Assert.Equal("getNation", (string?)nation["operationId"]);
        nation.Remove("operationId");

        var (_, warnings, report) = await LintAsync(contract.ToJsonString());

        Assert.True(warnings >= 1, report);
        Assert.Contains("operation-operationId", report, StringComparison.Ordinal);
    }

    private static async Task<(int Errors, int Warnings, string Report)> LintAsync(string contract)
    {
        await EnsureInstalledAsync();
        var file = Path.Combine(Path.GetTempPath(), $"readiness-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, contract);
        try
        {
            var (exitCode, stdout, stderr) = await Tool.RunAsync(Redocly, ["lint", file, "--config", "redocly.yaml", "--format", "json"], Repository.LintFolder, TimeSpan.FromMinutes(3));
            var json = stdout[stdout.IndexOf('{', StringComparison.Ordinal)..];
            using var result = JsonDocument.Parse(json);
            var totals = result.RootElement.GetProperty("totals");
            var problems = string.Join('\n', result.RootElement.GetProperty("problems").EnumerateArray().Select(p =>
                $"{p.GetProperty("severity").GetString()} {p.GetProperty("ruleId").GetString()}: {p.GetProperty("message").GetString()} at {p.GetProperty("location")[0].GetProperty("pointer").GetString()}"));
            return (totals.GetProperty("errors").GetInt32(), totals.GetProperty("warnings").GetInt32(), $"exit {exitCode}\n{problems}\n{stderr}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string Redocly => Path.Combine(Repository.LintFolder, "node_modules", ".bin", "redocly");

    /// <summary>A fresh clone has no node_modules: install exactly the locked version (CI's .ci/run does the same first).</summary>
    private static async Task EnsureInstalledAsync()
    {
        if (File.Exists(Redocly))
        {
            return;
        }

        var (exitCode, stdout, stderr) = await Tool.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], Repository.LintFolder, TimeSpan.FromMinutes(5));
        Assert.True(exitCode == 0 && File.Exists(Redocly), $"npm ci failed ({exitCode}):\n{stdout}\n{stderr}");
    }
}

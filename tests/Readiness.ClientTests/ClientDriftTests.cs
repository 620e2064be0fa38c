using System.Text.Json.Nodes;

namespace Readiness.ClientTests;

/// <summary>
/// The Kiota client under Generated/ is committed (readable in review, no generator needed to build the tests) and
/// must equal what Kiota 1.38.0 (the local tool in .config/dotnet-tools.json) generates from the contract the host
/// serves now: a change of the API that is not regenerated fails here. To regenerate after an intended change, run
/// this test with READINESS_UPDATE_CLIENT=1 (it then writes Generated/ and still reports the difference once).
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class ClientDriftTests(ContractHost host)
{
    public const string ClientClass = "ReadinessClient";
    public const string ClientNamespace = "Readiness.ClientTests.Generated";

    [Fact]
    public async Task Committed_client_equals_a_fresh_Kiota_generation_from_the_served_contract()
    {
        var output = Directory.CreateTempSubdirectory("readiness-kiota-").FullName;
        try
        {
            await GenerateAsync(host.Contract, output);
            var fresh = Files(output);
            var committed = Files(Repository.GeneratedFolder);
            var missing = fresh.Keys.Except(committed.Keys, StringComparer.Ordinal).ToList();
            var extra = committed.Keys.Except(fresh.Keys, StringComparer.Ordinal).ToList();
            var changed = fresh.Keys.Intersect(committed.Keys, StringComparer.Ordinal).Where(k => fresh[k] != committed[k]).ToList();
            var drift = missing.Count + extra.Count + changed.Count > 0;
            if (drift && Environment.GetEnvironmentVariable("READINESS_UPDATE_CLIENT") == "1")
            {
                Directory.Delete(Repository.GeneratedFolder, recursive: true);
                CopyTree(output, Repository.GeneratedFolder);
            }

            Assert.False(drift,
                $"The committed client differs from the served contract's (regenerate: READINESS_UPDATE_CLIENT=1 dotnet test tests/Readiness.ClientTests --filter ClientDriftTests).\n" +
                $"new: {string.Join(", ", missing)}\nremoved: {string.Join(", ", extra)}\nchanged: {string.Join(", ", changed)}");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>
    /// Generates the C# client from <paramref name="contract"/>. The servers entry is dropped first: it is the address
    /// this test host happened to listen on, and a client for many deployments gets its base URL from the caller.
    /// </summary>
    private static async Task GenerateAsync(string contract, string output)
    {
        var document = JsonNode.Parse(contract)!.AsObject();
        document.Remove("servers");
        var file = Path.Combine(Path.GetTempPath(), $"readiness-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());
        try
        {
            var restore = await Tool.RunAsync("dotnet", ["tool", "restore"], Repository.Root, TimeSpan.FromMinutes(5));
            Assert.True(restore.ExitCode == 0, $"dotnet tool restore failed:\n{restore.StdOut}\n{restore.StdErr}");
            var (exitCode, stdout, stderr) = await Tool.RunAsync("dotnet",
                ["kiota", "generate", "--language", "CSharp", "--openapi", file, "--output", output, "--class-name", ClientClass, "--namespace-name", ClientNamespace,
                 "--exclude-backward-compatible", "--clean-output", "--log-level", "Warning"],
                Repository.Root, TimeSpan.FromMinutes(5));
            Assert.True(exitCode == 0, $"kiota generate failed ({exitCode}):\n{stdout}\n{stderr}");
        }
        finally
        {
            File.Delete(file);
        }

        // The lock file records the temporary description's path and hash; the log is the run's: neither is the client.
        File.Delete(Path.Combine(output, "kiota-lock.json"));
        File.Delete(Path.Combine(output, ".kiota.log"));
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), f => File.ReadAllText(f).ReplaceLineEndings("\n"), StringComparer.Ordinal);

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}

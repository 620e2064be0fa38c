using System.Net;
using System.Net.Http.Headers;
using Readiness.Hosting;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The running product keeps its data folder's files owner-only (operator's finding: the database and every backup were
/// 0644, so any local user could copy password hashes, TOTP secrets, recovery codes and the data-protection key ring),
/// narrows a folder an earlier version wrote at start, and warns about a data folder open to others.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // POSIX modes; on Windows the folder's ACL governs
public sealed class DataFolderModeTests
{
    private const UnixFileMode Open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public async Task The_database_backups_lock_and_signing_key_are_owner_only_and_an_earlier_versions_folder_is_narrowed_at_start()
    {
        using var data = new TempFolder("readiness-modes"); // 0755, as mkdir under umask 022 makes it
        await using (var host = new ReadinessWebHost(data.Path, new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false" }))
        {
            using var admin = host.CreateHttpClient();
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(Role.Admin));
            using var backup = await admin.PostAsync(new Uri("/api/v1/admin/backups", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Created, backup.StatusCode);
            await AssertOwnerOnlyAsync(data.Path);
            Assert.Contains(host.Warnings, w => w.Contains($"The data folder {data.Path} is open to other users (0755)", StringComparison.Ordinal));
        }

        // What a data folder written before this change looks like: everything 0644, its folders 0755.
        foreach (var file in Directory.EnumerateFiles(data.Path, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(file, Open);
        }

        foreach (var folder in Directory.EnumerateDirectories(data.Path))
        {
            File.SetUnixFileMode(folder, Open | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        File.SetUnixFileMode(data.Path, OwnerOnly.FolderMode);
        await using (var host = new ReadinessWebHost(data.Path, new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false" }))
        {
            _ = host.BaseAddress;
            await AssertOwnerOnlyAsync(data.Path);
            Assert.DoesNotContain(host.Warnings, w => w.Contains("open to other users", StringComparison.Ordinal));
        }
    }

    private static async Task AssertOwnerOnlyAsync(string data)
    {
        string[] expectedFiles = ["readiness.db", "readiness.db-wal", "readiness.db-shm", DataFolderLock.FileName, Path.Combine("auth", "local-signing.key")];
        // A host that has started may not have opened its database yet on a loaded machine (the -wal and -shm come with
        // the first connection): wait for the files, then check their modes.
        for (var waited = 0; waited < 300 && !expectedFiles.All(f => File.Exists(Path.Combine(data, f))); waited++)
        {
            await Task.Delay(100);
        }

        var files = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).ToList();
        foreach (var expected in expectedFiles)
        {
            Assert.Contains(Path.Combine(data, expected), files);
        }

        Assert.Contains(files, f => f.StartsWith(Path.Combine(data, "backups", "readiness-"), StringComparison.Ordinal));
        Assert.All(files, f => Assert.Equal((f, "600"), (f, Mode(f))));
        Assert.All(Directory.EnumerateDirectories(data, "*", SearchOption.AllDirectories), d => Assert.Equal((d, "700"), (d, Mode(d))));
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path) & 0x1FF, 8);
}

using Microsoft.Data.Sqlite;
using Microsoft.IdentityModel.JsonWebTokens;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The server's commands as an operator runs them (Readiness.Web.dll, a data folder of its own), a breaker's findings of
/// round 49: <c>backup --out</c> given a folder, the English-only success lines, a failure said in .NET's English, and
/// <c>token --code</c> in full-width digits or for the wrong role.
/// </summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Backup_into_a_folder_writes_a_named_file_there_and_both_commands_say_what_they_did_Japanese_first()
    {
        using var folder = new TempFolder("readiness-cli");
        var data = Path.Combine(folder.Path, "data");
        CreateDatabase(data);
        var into = Directory.CreateDirectory(Path.Combine(folder.Path, "backups-here")).FullName;

        // A folder given to --out: the backup is readiness-<UTC time>.db inside it (was exit 1, .NET's "Is a directory"
        // from the final rename, and a .partial file left beside the folder).
        var (exit, output) = await StartRefusalTests.RunWebInAsync(new Dictionary<string, string>(), data, "backup", "--out=" + into);
        Assert.True(exit == 0, $"exit {exit}:\n{output}");
        var written = Assert.Single(Directory.GetFiles(into));
        Assert.Matches(@"readiness-\d{8}T\d{6}Z\.db$", written);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.partial"));

        // Japanese first, then English, as every other line of the product (the line was English only).
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"バックアップを書き出しました: {written}（", line, StringComparison.Ordinal);
        Assert.Contains($" / Backup written: {written} (", line, StringComparison.Ordinal);

        (exit, output) = await StartRefusalTests.RunWebInAsync(new Dictionary<string, string>(), data, "restore", "--from", written);
        Assert.True(exit == 0, $"exit {exit}:\n{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"{written} から {Path.Combine(data, "readiness.db")} を復元しました（", lines[0], StringComparison.Ordinal);
        Assert.Contains(" / Restored ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("置き換えたデータベースは ", lines[1], StringComparison.Ordinal);
        Assert.Contains(" / The database it replaced is kept as ", lines[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("b.db")]
    [InlineData("sub/b.db")]
    public async Task A_backup_under_a_file_is_one_bilingual_line_naming_the_file(string under)
    {
        using var folder = new TempFolder("readiness-cli");
        var data = Path.Combine(folder.Path, "data");
        CreateDatabase(data);
        var file = Path.Combine(folder.Path, "a-file");
        await File.WriteAllTextAsync(file, "not a folder");
        var target = Path.Combine(file, under);

        // Before: "…: バックアップを作れませんでした / the backup could not be made: The file '…' already exists." (a file
        // as the parent) or "…（フォルダーがありません） / …: a folder on the path does not exist." (a file further up).
        var (exit, output) = await StartRefusalTests.RunWebInAsync(new Dictionary<string, string>(), data, "backup", "--out", target);
        Assert.Equal(1, exit);
        Assert.Equal($"{target}: バックアップを作れませんでした（{file} はファイルです。フォルダーのパスを指定してください） / the backup could not be made: {file} is a file, not a folder; give a folder's path.", output.Trim());
        Assert.Equal("not a folder", await File.ReadAllTextAsync(file));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // POSIX modes; on Windows the folder's ACL governs
    public async Task The_folders_a_backup_makes_are_owner_only_and_so_is_the_backup()
    {
        using var folder = new TempFolder("readiness-cli");
        var data = Path.Combine(folder.Path, "data");
        CreateDatabase(data);
        var target = Path.Combine(folder.Path, "new", "deeper", "b.db");

        // A backup holds everyone's data: each folder --out makes is 0700 (the parents were 0755), the file 0600.
        var (exit, output) = await StartRefusalTests.RunWebInAsync(new Dictionary<string, string>(), data, "backup", "--out", target);
        Assert.True(exit == 0, $"exit {exit}:\n{output}");
        Assert.Equal("0700", Readiness.Hosting.OwnerOnly.Octal(File.GetUnixFileMode(Path.Combine(folder.Path, "new"))));
        Assert.Equal("0700", Readiness.Hosting.OwnerOnly.Octal(File.GetUnixFileMode(Path.Combine(folder.Path, "new", "deeper"))));
        Assert.Equal("0600", Readiness.Hosting.OwnerOnly.Octal(File.GetUnixFileMode(target)));
    }

    [Fact]
    public async Task The_token_command_reads_full_width_digits_as_the_API_does_and_says_which_code_a_role_needs_in_the_forms_words()
    {
        using var folder = new TempFolder("readiness-cli");

        // The API reads a body's full-width tenant as ASCII (ClientsApi, TypedInput): so does --code (it was refused).
        var (exit, output) = await StartRefusalTests.RunWebInAsync(new Dictionary<string, string>(), folder.Path, "token", "--role", "municipality", "--code", "１３１０１６");
        Assert.True(exit == 0, $"exit {exit}:\n{output}");
        var token = new JsonWebToken(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).First(l => l.StartsWith("ey", StringComparison.Ordinal)).Trim());
        Assert.Equal("131016", token.GetPayloadValue<string>("tenant"));

        // The role's code in the words of the invitation and role forms (TenantCodeWording), naming the code as typed.
        (exit, output) = await StartRefusalTests.RunWebInAsync(new Dictionary<string, string>(), folder.Path, "token", "--role", "prefecture", "--code", "３１２０１");
        Assert.Equal(2, exit);
        Assert.Contains("--code '３１２０１': 都道府県の役割には、都道府県コード（2桁、01〜47。例: 13）を指定してください。 / A prefecture role needs a 2-digit prefecture code, 01 to 47 (e.g. 13).", output, StringComparison.Ordinal);

        (exit, output) = await StartRefusalTests.RunWebInAsync(new Dictionary<string, string>(), folder.Path, "token", "--role", "municipality", "--code", "13");
        Assert.Equal(2, exit);
        Assert.Contains("--code '13': 市区町村の役割には、全国地方公共団体コード（6桁、末尾は検査数字。", output, StringComparison.Ordinal);

        (exit, output) = await StartRefusalTests.RunWebInAsync(new Dictionary<string, string>(), folder.Path, "token", "--role", "national", "--code", "13");
        Assert.Equal(2, exit);
        Assert.Contains("--code '13': 国・システム管理者の役割には団体コードはありません。空欄にしてください。 / A national or system role has no tenant code: leave it empty.", output, StringComparison.Ordinal);
    }

    /// <summary>A database with the tables a Readiness database has (what the backup and restore validate), empty.</summary>
    private static void CreateDatabase(string data)
    {
        Directory.CreateDirectory(data);
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "readiness.db")};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE ReadinessSchema (Version INTEGER, Script TEXT, AppliedAt TEXT); CREATE TABLE OrleansStorage (x); CREATE TABLE readiness_audit (x);";
        command.ExecuteNonQuery();
    }
}

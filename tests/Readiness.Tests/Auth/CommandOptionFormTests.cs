using Readiness.Web;
using Readiness.Web.Auth;
using Readiness.Web.Operations;
using Xunit;

namespace Readiness.Tests.Auth;

/// <summary>
/// The server's commands read <c>--name=value</c> as <c>--name value</c> (a breaker's finding, round 47:
/// <c>token --role=national</c> answered "needs a value"), and refuse an empty value, an unknown option and another
/// command's option by name, with exit 2 and no token printed.
/// </summary>
public sealed class CommandOptionFormTests
{
    [Theory]
    [InlineData("token", "--role=national")]
    [InlineData("token", "--role=municipality", "--code=131016", "--hours=1")]
    [InlineData("token", "--role=prefecture", "--code", "13", "--subject=県の担当=A")]
    public void Name_equals_value_is_read_as_name_then_value(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var spaced = args.Skip(1).SelectMany(a => a.Contains('=', StringComparison.Ordinal) ? new[] { a[..a.IndexOf('=', StringComparison.Ordinal)], a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..] } : [a]).Prepend(args[0]).ToArray();
        string[] names = ["role", "code", "subject", "hours"];

        Assert.Null(CommandOptions.Read(args, names, "usage", output, error, out var equals));
        Assert.Null(CommandOptions.Read(spaced, names, "usage", output, error, out var separate));

        Assert.Equal(string.Empty, error.ToString());
        Assert.Equal(separate.OrderBy(v => v.Key), equals.OrderBy(v => v.Key));
        Assert.Equal(args[1][(args[1].IndexOf('=', StringComparison.Ordinal) + 1)..], equals["role"]);
    }

    [Theory]
    [InlineData("--role", "値を指定してください", "needs a value", "token", "--role=")]
    [InlineData("--role", "値を指定してください", "needs a value", "token", "--role")]
    [InlineData("--rol", "知らないオプションです", "unknown option", "token", "--rol=national")]
    [InlineData("--rol", "知らないオプションです", "unknown option", "token", "--role", "national", "--rol", "admin")]
    [InlineData("--role", "2回以上指定されています", "more than once", "token", "--role=national", "--role", "admin")]
    [InlineData("'admin'", "この引数は使えません", "unexpected argument", "token", "--role=national", "admin")]
    [InlineData("--out", "ファイルを指定してください", "needs a file", "backup", "--out=")]
    [InlineData("--from", "知らないオプションです", "unknown option", "backup", "--from=a.bak")]
    [InlineData("--out", "知らないオプションです", "unknown option", "restore", "--out", "a.bak")]
    [InlineData("--from", "2回以上指定されています", "more than once", "restore", "--from=a.bak", "--from=b.bak")]
    public void A_refused_option_is_named_in_japanese_and_english_and_nothing_is_done(string named, string ja, string en, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = args[0] == "token" ? LocalTokenCommand.Run(args, output, error) : BackupCommands.Run(args, output, error);

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output.ToString());
        Assert.Contains($"{named}: {ja}", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(en, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("backup", "--out", "--from")]
    [InlineData("restore", "--from", "--out")]
    public void Each_command_s_usage_names_only_its_own_options(string command, string own, string other)
    {
        // restore's usage offered --out (the two shared one text), which restore refuses as an unknown option.
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, BackupCommands.Run([command, "--help"], output, error));
        Assert.Contains(own, output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(other, output.ToString(), StringComparison.Ordinal);
        Assert.StartsWith($"Usage: {command} ", output.ToString(), StringComparison.Ordinal);

        // The usage after a refusal is the command's own too.
        using var refusedError = new StringWriter();
        Assert.Equal(2, BackupCommands.Run([command, other, "x.db"], new StringWriter(), refusedError));
        Assert.DoesNotContain("Usage: " + (command == "backup" ? "restore" : "backup"), refusedError.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/backups/", "/backups/readiness-20261207T213000Z.db")]
    [InlineData("/backups/b.db", "/backups/b.db")]
    [InlineData(null, "/data/backups/readiness-20261207T213000Z.db")]
    public void Backup_out_is_a_file_or_a_folder_the_named_file_goes_into(string? given, string expected)
    {
        // A folder (existing, or a path ending in '/') gets the product's own backup name inside it.
        Assert.Equal(expected, BackupCommands.Target(given, "/data/backups", new DateTimeOffset(2026, 12, 7, 21, 30, 0, TimeSpan.Zero)));
        Assert.Equal(Path.Combine(Path.GetTempPath(), "readiness-20261207T213000Z.db"), BackupCommands.Target(Path.GetTempPath().TrimEnd('/'), "/data/backups", new DateTimeOffset(2026, 12, 7, 21, 30, 0, TimeSpan.Zero)));
    }
}

using Readiness.Web.Auth;
using Readiness.Web.Operations;
using Xunit;

namespace Readiness.Tests.Auth;

/// <summary>
/// The server's commands refuse an option given twice (a breaker's finding, round 47: <c>token --role national --role
/// admin</c> issued an admin token, the last one taken in silence): exit 2, the option named in Japanese and English,
/// no token printed.
/// </summary>
public sealed class RepeatedCommandOptionTests
{
    [Theory]
    [InlineData("token", "--role", "national", "--role", "admin")]
    [InlineData("token", "--role", "admin", "--role", "admin")]
    [InlineData("token", "--role", "municipality", "--code", "131016", "--code", "271004")]
    [InlineData("token", "--role", "national", "--hours", "1", "--hours", "720")]
    [InlineData("token", "--role", "national", "--allow-production", "false", "--allow-production", "true")]
    public void The_token_command_refuses_an_option_given_twice_and_prints_no_token(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = LocalTokenCommand.Run(args, output, error);

        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output.ToString());
        Assert.Contains($"{args[^2]}: 2回以上指定されています", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("is given more than once", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("backup", "--out", "a.bak", "--out", "b.bak")]
    [InlineData("restore", "--from", "a.bak", "--from", "b.bak")]
    public void The_backup_commands_refuse_an_option_given_twice(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(2, BackupCommands.Run(args, output, error));
        Assert.Contains($"{args[^2]}: 2回以上指定されています", error.ToString(), StringComparison.Ordinal);
    }
}

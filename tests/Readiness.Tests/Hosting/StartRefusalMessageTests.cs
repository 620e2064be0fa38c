using Readiness.Hosting;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// The one line a process prints when app.Run() fails: a refused start before the host started, a stop once it had
/// (ApplicationStarted fired), so an operator does not look for a wrong setting in a server that ran for days.
/// </summary>
public sealed class StartRefusalMessageTests
{
    [Fact]
    public void Before_the_host_started_it_is_a_refused_start_with_exit_2()
    {
        using var error = new StringWriter();
        var exit = StartRefusal.Report(new InvalidOperationException("Readiness:Mode: 'Clustr' is not valid."), error, started: false);
        Assert.Equal(2, exit);
        Assert.Equal("起動できません / Cannot start: Readiness:Mode: 'Clustr' is not valid.", error.ToString().TrimEnd());
    }

    [Fact]
    public void After_the_host_started_it_is_a_stop_with_exit_3()
    {
        using var error = new StringWriter();
        var exit = StartRefusal.Report(new IOException("disk failed", new InvalidOperationException("inner reason")), error, started: true);
        Assert.Equal(3, exit);
        Assert.Equal("停止しました / Stopped: disk failed — inner reason", error.ToString().TrimEnd());
        Assert.DoesNotContain("Cannot start", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unexpected_exception_keeps_its_stack_under_the_one_line_a_refusal_does_not()
    {
        // The host's own "Hosting failed to start" log is dropped (QuietFailedStart), so the stack of a fault of the
        // program has to come from here; a refusal (a setting, a port) stays one line.
        using var unexpected = new StringWriter();
        Assert.Equal(2, StartRefusal.Report(new InvalidOperationException("wrapper", Thrown()), unexpected));
        var lines = unexpected.ToString().Split('\n');
        Assert.StartsWith("起動できません / Cannot start: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("   at ", StringComparison.Ordinal));

        using var refused = new StringWriter();
        StartRefusal.Report(new IOException("Failed to bind to address http://127.0.0.1:5000: address already in use."), refused);
        Assert.DoesNotContain("   at ", refused.ToString(), StringComparison.Ordinal);
        Assert.Single(refused.ToString().TrimEnd().Split('\n'));
    }

    [Fact]
    public void Several_refusals_at_once_are_each_its_own_message_not_the_aggregates_English()
    {
        // Two options types refused together reach the catch as an AggregateException; its own message, "One or more
        // errors occurred. (…) (…)", was English after the bilingual prefix.
        var both = new AggregateException(
            new Microsoft.Extensions.Options.OptionsValidationException("Readiness", typeof(object), ["Readiness:Backup:Retain = 0: 1 以上を指定してください / must be at least 1."]),
            new Microsoft.Extensions.Options.OptionsValidationException("Readiness:Notifications", typeof(object), ["Readiness:Notifications:BatchSize = 0: 1 以上を指定してください / must be at least 1."]));
        Assert.Equal(
            "起動できません / Cannot start: Readiness:Backup:Retain = 0: 1 以上を指定してください / must be at least 1. — Readiness:Notifications:BatchSize = 0: 1 以上を指定してください / must be at least 1.",
            StartRefusal.Message(both));
    }

    [Fact]
    public void A_refusal_in_the_product_s_own_words_is_Japanese_first_and_anything_else_gets_them()
    {
        Assert.Equal("Readiness:DataPath = '/x': 日本語 / English.", StartRefusal.Say("Readiness:DataPath = '/x'", "日本語", "English."));
        // A failure of a known kind is said in both languages by its kind (round 49: .NET's English was the detail);
        // one of no known kind keeps .NET's words as the detail.
        Assert.Equal("/x/bk.db: 復元できませんでした（権限がありません。このユーザーで読み書きできるか確認してください） / the restore failed: permission denied; check that this user may read and write it.",
            StartRefusal.Explain(new UnauthorizedAccessException("Access to the path '/x/bk.db' is denied."), "/x/bk.db", "復元できませんでした", "the restore failed"));
        Assert.Equal("/x/bk.db: バックアップを作れませんでした（ディスクの空きがありません） / the backup could not be made: the disk is full.",
            StartRefusal.Explain(new IOException("No space left on device : '/x/bk.db'", 28), "/x/bk.db", "バックアップを作れませんでした", "the backup could not be made"));
        Assert.Equal("/x/bk.db: 復元できませんでした / the restore failed: something new.",
            StartRefusal.Explain(new IOException("something new."), "/x/bk.db", "復元できませんでした", "the restore failed"));
        Assert.Equal("a: 既に日本語 / already both.", StartRefusal.Explain(new IOException("a: 既に日本語 / already both."), "b", "c", "d"));
    }

    [Theory]
    [InlineData("file:///x")]
    [InlineData("ftp://127.0.0.1/health/ready")]
    [InlineData("not a url")]
    public void The_probe_command_refuses_an_address_it_cannot_ask_in_one_line(string url)
    {
        // Before, file:///x reached HttpClient, whose NotSupportedException ended the command in a stack trace.
        using var output = new StringWriter();
        Assert.Equal(2, HealthProbeCommand.Run(["probe", url], output));
        Assert.StartsWith($"'{url}': http:// か https:// で始まる絶対 URL を指定してください / must be an absolute http or https URL.", output.ToString(), StringComparison.Ordinal);
    }

    private static NullReferenceException Thrown()
    {
        try
        {
            _ = Missing()!.Length;
            throw new InvalidOperationException("unreachable");
        }
        catch (NullReferenceException e)
        {
            return e;
        }
    }

    private static string? Missing() => null;
}

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

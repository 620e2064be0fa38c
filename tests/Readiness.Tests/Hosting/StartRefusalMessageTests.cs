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
}

using System.Diagnostics;
using System.Text;
using Readiness.Web.Summaries;
using Xunit.Abstractions;

namespace Readiness.Tests.Web;

/// <summary>The fan-out itself, without a host: one pre-encoded event to many subscribers, slow ones dropping their oldest.</summary>
public sealed class LiveHubTests(ITestOutputHelper output)
{
    [Fact]
    public void One_event_reaches_ten_thousand_subscribers_and_a_closed_one_is_gone()
    {
        var hub = new LiveHub();
        var subscribers = Enumerable.Range(0, 10_000).Select(_ => hub.Subscribe(LiveHub.NationTopic)).ToList();
        var other = hub.Subscribe(LiveHub.PrefectureTopic("13"));
        var message = LiveHub.Event("nation", Encoding.UTF8.GetBytes("""{"version":1}"""));

        var started = Stopwatch.GetTimestamp();
        var delivered = hub.Publish(LiveHub.NationTopic, message);
        output.WriteLine($"published to {delivered} subscribers in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0} ms");

        Assert.Equal(10_000, delivered);
        Assert.All(subscribers, s => Assert.True(s.Reader.TryRead(out var m) && m.Span.SequenceEqual(message)));
        Assert.False(other.Reader.TryRead(out _));
        Assert.Equal(["13"], hub.WatchedPrefectures());
        Assert.StartsWith("event: nation\ndata: {", Encoding.UTF8.GetString(message), StringComparison.Ordinal);

        subscribers[0].Dispose();
        Assert.Equal(9_999, hub.Publish(LiveHub.NationTopic, message));
        other.Dispose();
        Assert.Empty(hub.WatchedPrefectures());
    }

    [Fact]
    public void A_subscriber_that_does_not_read_keeps_only_the_newest_events()
    {
        var hub = new LiveHub();
        using var slow = hub.Subscribe(LiveHub.NationTopic);
        for (var i = 0; i < LiveHub.SubscriberBuffer * 3; i++)
        {
            hub.Publish(LiveHub.NationTopic, Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var kept = new List<string>();
        while (slow.Reader.TryRead(out var m))
        {
            kept.Add(Encoding.UTF8.GetString(m.Span));
        }

        Assert.Equal(LiveHub.SubscriberBuffer, kept.Count);
        Assert.Equal(((LiveHub.SubscriberBuffer * 3) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), kept[^1]);
    }
}

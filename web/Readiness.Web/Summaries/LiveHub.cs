using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

namespace Readiness.Web.Summaries;

/// <summary>
/// Fan-out of pre-encoded Server-Sent Events to every open page. Each change is serialized once by the publisher; a
/// subscriber is a small bounded channel, so a slow browser only ever drops its own oldest messages (the client then
/// notices the gap in versions and reloads the data) and never slows the others or the grains.
/// </summary>
public sealed class LiveHub
{
    public const string NationTopic = "nation";
    public const int SubscriberBuffer = 8;

    private static readonly ReadOnlyMemory<byte> Heartbeat = Encoding.UTF8.GetBytes(": keep-alive\n\n");
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<LiveSubscriber, byte>> topics = new(StringComparer.Ordinal);

    public static string PrefectureTopic(string code) => $"prefecture:{code}";

    public int SubscriberCount => topics.Values.Sum(t => t.Count);

    public LiveSubscriber Subscribe(string topic)
    {
        var subscriber = new LiveSubscriber(this, topic);
        topics.GetOrAdd(topic, _ => new ConcurrentDictionary<LiveSubscriber, byte>()).TryAdd(subscriber, 0);
        return subscriber;
    }

    public bool HasSubscribers(string topic) => topics.TryGetValue(topic, out var set) && !set.IsEmpty;

    /// <summary>Prefecture codes that at least one open page is watching: these are polled directly.</summary>
    public IReadOnlyList<string> WatchedPrefectures() =>
        topics.Where(t => !t.Value.IsEmpty && t.Key.StartsWith("prefecture:", StringComparison.Ordinal)).Select(t => t.Key["prefecture:".Length..]).ToList();

    /// <summary>Hands the same bytes to every subscriber of the topic; returns how many received it.</summary>
    public int Publish(string topic, ReadOnlyMemory<byte> sseEvent)
    {
        if (!topics.TryGetValue(topic, out var set))
        {
            return 0;
        }

        var delivered = 0;
        foreach (var subscriber in set.Keys)
        {
            if (subscriber.Offer(sseEvent))
            {
                delivered++;
            }
        }

        return delivered;
    }

    /// <summary>A comment line to every subscriber, so proxies keep the connection and dead ones are noticed.</summary>
    public void PublishHeartbeat()
    {
        foreach (var set in topics.Values)
        {
            foreach (var subscriber in set.Keys)
            {
                subscriber.Offer(Heartbeat);
            }
        }
    }

    /// <summary>Formats one SSE event: an event name and a single-line JSON data field.</summary>
    public static byte[] Event(string name, ReadOnlySpan<byte> json)
    {
        var head = Encoding.UTF8.GetBytes($"event: {name}\ndata: ");
        var result = new byte[head.Length + json.Length + 2];
        head.CopyTo(result, 0);
        json.CopyTo(result.AsSpan(head.Length));
        result[^2] = (byte)'\n';
        result[^1] = (byte)'\n';
        return result;
    }

    internal void Remove(LiveSubscriber subscriber)
    {
        if (topics.TryGetValue(subscriber.Topic, out var set))
        {
            set.TryRemove(subscriber, out _);
        }
    }
}

public sealed class LiveSubscriber : IDisposable
{
    private readonly LiveHub hub;
    private readonly Channel<ReadOnlyMemory<byte>> channel = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(LiveHub.SubscriberBuffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false });

    internal LiveSubscriber(LiveHub hub, string topic)
    {
        this.hub = hub;
        Topic = topic;
    }

    public string Topic { get; }

    public ChannelReader<ReadOnlyMemory<byte>> Reader => channel.Reader;

    internal bool Offer(ReadOnlyMemory<byte> message) => channel.Writer.TryWrite(message);

    public void Dispose()
    {
        hub.Remove(this);
        channel.Writer.TryComplete();
    }
}

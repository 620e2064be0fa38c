namespace Readiness;

/// <summary>
/// A grain's stored state is there but cannot be read: a compressed row fails its checksum, a text row is not JSON, or
/// it was written by a newer version. Not transient (asking again reads the same bytes): the grain cannot activate
/// until an operator restores the data from a backup (deploy/README.md, "Backup and restore"). Carries
/// <see cref="StateKey"/> (<c>grain type/key/state name</c>, e.g. <c>municipality/131016/municipality</c>) across an
/// Orleans call so the web tier can say which data is affected.
/// </summary>
[GenerateSerializer, Alias("Readiness.UnreadableStateException")]
public sealed class UnreadableStateException : Exception
{
    public UnreadableStateException()
    {
    }

    public UnreadableStateException(string message)
        : base(message)
    {
    }

    public UnreadableStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UnreadableStateException(string stateKey, string reason)
        : base($"The stored state of {stateKey} cannot be read: {reason}")
    {
        StateKey = stateKey;
    }

    /// <summary>Which state: <c>grain type/key/state name</c>.</summary>
    [Id(0)]
    public string StateKey { get; init; } = string.Empty;

    /// <summary>The first <see cref="UnreadableStateException"/> in <paramref name="exception"/> or its inner exceptions, or null.</summary>
    public static UnreadableStateException? Find(Exception? exception) => exception switch
    {
        null => null,
        UnreadableStateException unreadable => unreadable,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Find).FirstOrDefault(e => e is not null),
        _ => Find(exception.InnerException),
    };
}

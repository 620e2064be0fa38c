namespace Readiness;

/// <summary>
/// The database did not answer (pool exhausted, connection refused, timeout). Thrown instead of the driver's own
/// exception because those cannot cross an Orleans call: the caller would get no answer at all and wait out its
/// timeout. Transient: the web tier retries idempotent calls and answers 503 when it gives up.
/// </summary>
[GenerateSerializer, Alias("Readiness.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Keeps the driver's message, drops the driver's exception (it has no Orleans codec).</summary>
    public static StorageUnavailableException From(Exception ex) => new($"{ex.GetType().Name}: {ex.Message}");
}

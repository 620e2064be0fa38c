using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Readiness.Grains;

/// <summary>
/// Generated JSON for the grain state written on every change (the municipality's), with the options of Orleans'
/// System.Text.Json grain-storage serializer (<c>SystemTextJsonGrainStorageSerializerOptions</c>: fields included, nulls
/// left out, PascalCase names, the default encoder). It writes the very bytes that serializer writes for these types
/// (<c>GrainStateJsonTests</c>), so rows written either way read back the same, and Orleans' serializer still reads
/// every row; what it saves is the reflection serializer's converter machinery on each write (~6 % of the server's CPU
/// at 1,500 changes/s, issue 14's profile) and, on reading, the code that serializer emits and compiles at run time.
/// </summary>
/// <remarks>
/// Orleans adds converters of its own (IP addresses, grain references) to those options; none of them applies to the
/// types listed here. A state type holding such a value must not be listed.
/// </remarks>
[JsonSourceGenerationOptions(IncludeFields = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MunicipalityGrainState))]
public sealed partial class GrainStateJson : JsonSerializerContext
{
    /// <summary>
    /// The state's UTF-8 JSON in a pooled array (<see cref="PooledBytes"/>; the caller gives it back by
    /// disposing the result once the bytes are stored), or null when <typeparamref name="T"/> is not one of this
    /// context's states (the caller then uses Orleans' serializer).
    /// </summary>
    public static PooledBytes? TrySerialize<T>(T state)
    {
        if (Default.GetTypeInfo(typeof(T)) is not JsonTypeInfo<T> info)
        {
            return null;
        }

        // This thread's buffer and writer, reset for each state; the result is copied into a rented array of its length
        // (a state is ~5-8 KB: a new array for each change was a tenth of a change's allocations).
        var (buffer, json) = writer ??= (new ArrayBufferWriter<byte>(16 * 1024), new Utf8JsonWriter(Stream.Null));
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        try
        {
            JsonSerializer.Serialize(json, state, info);
            return PooledBytes.Of(buffer.WrittenSpan);
        }
        finally
        {
            // A buffer grown by one very large state is not kept for the thread's lifetime.
            if (buffer.Capacity > MaxKeptBuffer)
            {
                writer = null;
            }
        }
    }

    /// <summary>
    /// Reads a state of one of this context's types from its UTF-8 JSON, as Orleans' serializer reads it (the same
    /// options; <c>GrainStateJsonTests</c> compares both). False when <typeparamref name="T"/> is not one of them (the
    /// caller then uses Orleans' serializer).
    /// </summary>
    /// <remarks>
    /// Orleans' serializer reads through reflection and code it emits at run time, compiled at the first read in each
    /// process: a silo that had only seeded its municipalities compiled ~2,400 methods just after another silo died,
    /// while it activated that silo's municipalities again (issue 14, thirteenth round). Generated code needs none of that.
    /// </remarks>
    /// <exception cref="JsonException">The bytes are not JSON of that type.</exception>
    public static bool TryDeserialize<T>(ReadOnlySpan<byte> json, out T? state)
    {
        if (Default.GetTypeInfo(typeof(T)) is not JsonTypeInfo<T> info)
        {
            state = default;
            return false;
        }

        state = JsonSerializer.Deserialize(json, info);
        return true;
    }

    private const int MaxKeptBuffer = 256 * 1024;

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Json)? writer;
}

/// <summary>
/// Bytes (a state's UTF-8 JSON, or its stored form) in an array rented from <see cref="Pool"/>: <see cref="Memory"/>
/// until disposed, when the array goes back to the pool. Dispose it once, after the last reader of <see cref="Memory"/>
/// is done.
/// </summary>
public sealed class PooledBytes : IDisposable
{
    /// <summary>
    /// A pool of its own: a state is held until its group commit is answered, and a rush holds hundreds at once (128
    /// reports in flight, up to 500 writes a commit), past what <see cref="ArrayPool{T}.Shared"/> keeps (a few dozen
    /// arrays of a size on two cores): it then made a new array for most states (allocation profile, issue 14). At most
    /// 1,024 arrays of each size up to 1 MiB are kept (8 MiB for the usual 8 KiB states); a larger state gets an array
    /// of its own.
    /// </summary>
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 1024 * 1024, maxArraysPerBucket: 1024);

    private byte[]? array;

    private PooledBytes(byte[] array, int length)
    {
        this.array = array;
        Length = length;
    }

    /// <summary>The bytes' count.</summary>
    public int Length { get; }

    /// <summary>The bytes; throws once disposed.</summary>
    public ReadOnlyMemory<byte> Memory => (array ?? throw new ObjectDisposedException(nameof(PooledBytes))).AsMemory(0, Length);

    /// <summary>A rented copy of <paramref name="bytes"/>.</summary>
    public static PooledBytes Of(ReadOnlySpan<byte> bytes)
    {
        var rented = Pool.Rent(bytes.Length);
        bytes.CopyTo(rented);
        return new PooledBytes(rented, bytes.Length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref array, null) is { } rented)
        {
            Pool.Return(rented);
        }
    }
}

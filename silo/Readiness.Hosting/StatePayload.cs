using System.IO.Compression;
using System.Text;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>
/// How the embedded store (SQLite) keeps a grain state's JSON in readiness_grain_state.payload: a state of
/// <see cref="CompressFrom"/> bytes or more as a zlib stream (RFC 1950, whose Adler-32 check catches a damaged row) in a
/// BLOB, a smaller one as the JSON text. Rows written as text before stay readable as they are.
/// </summary>
/// <remarks>
/// Why: a municipality's state is ~11 KB of JSON, rewritten whole on every change. SQLite keeps a row larger than about
/// a page on overflow pages, so each change wrote three 4 KB pages to the WAL and again at the checkpoint. Compressed
/// (~2 KB, ~20 µs on the calling grain's turn, before the write is queued) it shares one page with its neighbours
/// (issue 14, eleventh round). PostgreSQL compresses the column itself (070-grain-state-lz4.sql), so its rows stay JSON.
/// To read a row by hand: <c>sqlite3 readiness.db "SELECT typeof(payload), hex(payload) FROM readiness_grain_state
/// WHERE grain_id = 'municipality/131016'"</c>; a text row is the JSON itself (<c>SELECT payload …</c>), a blob row
/// goes through any zlib inflater (<c>… | python3 -c "import zlib,sys,json; print(json.dumps(json.loads(
/// zlib.decompress(bytes.fromhex(sys.stdin.read().split('|')[1]))), ensure_ascii=False))"</c>, which also shows the
/// serializer's \uXXXX escapes as Japanese). A row that fails its check is damaged: restore from a backup.
/// </remarks>
public static class StatePayload
{
    /// <summary>JSON of at least this many bytes (UTF-8) is stored compressed; a smaller state fits a page as it is.</summary>
    public const int CompressFrom = 1024;

    private const int MaxKeptBuffer = 256 * 1024;

    [ThreadStatic]
    private static MemoryStream? buffer;

    /// <summary>
    /// The zlib form of <paramref name="json"/> in a pooled array (dispose it once stored), or null when
    /// <paramref name="json"/> is shorter than <see cref="CompressFrom"/> and is stored as text.
    /// </summary>
    public static PooledBytes? Compress(ReadOnlySpan<byte> json)
    {
        if (json.Length < CompressFrom)
        {
            return null;
        }

        // This thread's buffer, reset for each state; the result is copied into a rented array of its length.
        var output = buffer ??= new MemoryStream(16 * 1024);
        output.SetLength(0);
        using (var zlib = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(json);
        }

        var compressed = PooledBytes.Of(output.GetBuffer().AsSpan(0, (int)output.Length));
        if (output.Capacity > MaxKeptBuffer)
        {
            buffer = null;
        }

        return compressed;
    }

    /// <summary>
    /// The state's UTF-8 JSON from the payload column's value: a BLOB (byte[]) is inflated, text is taken as it is,
    /// NULL (a cleared state) is null.
    /// </summary>
    /// <exception cref="InvalidDataException">A BLOB that is not a whole zlib stream or fails its check.</exception>
    public static BinaryData? ReadJson(object? column) => column switch
    {
        null or DBNull => null,
        byte[] compressed => new BinaryData(Inflate(compressed)),
        string json => new BinaryData(Encoding.UTF8.GetBytes(json)),
        _ => throw new InvalidDataException($"A grain state's payload is a {column.GetType().Name}, neither text nor a zlib BLOB."),
    };

    private static ReadOnlyMemory<byte> Inflate(byte[] stored)
    {
        // Checked here rather than by ZLibStream, which accepts a stream cut short (or with its checksum missing) and
        // returns what it could inflate: a row damaged that way must not become a state with systems missing.
        const int Header = 2, Trailer = 4;
        if (stored.Length < Header + Trailer || (stored[0] & 0x0F) != 8 || ((stored[0] << 8) | stored[1]) % 31 != 0 || (stored[1] & 0x20) != 0)
        {
            throw new InvalidDataException("The BLOB does not begin with a zlib header (RFC 1950: deflate, no preset dictionary).");
        }

        var json = new MemoryStream(stored.Length * 6);
        using (var deflate = new DeflateStream(new MemoryStream(stored, Header, stored.Length - Header - Trailer, writable: false), CompressionMode.Decompress))
        {
            deflate.CopyTo(json);
        }

        var inflated = json.GetBuffer().AsMemory(0, (int)json.Length);
        var expected = (uint)((stored[^4] << 24) | (stored[^3] << 16) | (stored[^2] << 8) | stored[^1]);
        if (Adler32(inflated.Span) != expected)
        {
            throw new InvalidDataException("The zlib stream is damaged or cut short: its Adler-32 check does not match what it inflates to.");
        }

        return inflated;
    }

    /// <summary>Adler-32 (RFC 1950 §9), the zlib stream's own check.</summary>
    internal static uint Adler32(ReadOnlySpan<byte> data)
    {
        const uint Modulus = 65521;
        uint a = 1, b = 0;
        while (!data.IsEmpty)
        {
            // 5,552 bytes is the most that can be summed before b could pass 2^32 (zlib's NMAX).
            var block = data[..Math.Min(data.Length, 5552)];
            foreach (var value in block)
            {
                a += value;
                b += a;
            }

            a %= Modulus;
            b %= Modulus;
            data = data[block.Length..];
        }

        return (b << 16) | a;
    }
}

using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Readiness.Hosting;

namespace Readiness.Tests.Hosting;

/// <summary>
/// The embedded store's form of a grain state (<see cref="StatePayload"/>): large JSON as a checked zlib stream, small
/// JSON and rows written before as text; damage is refused, never read as a shorter state.
/// </summary>
public sealed class StatePayloadTests
{
    /// <summary>JSON shaped like a municipality's state: 20 systems and 47 items, Japanese vendors escaped as the serializer writes them.</summary>
    private static byte[] MunicipalityLikeJson()
    {
        var systems = Enumerable.Range(0, 20).Select(i => new
        {
            BusinessId = $"business_{i:D2}",
            Phase = i % 10,
            PlannedGoLive = $"2027-{(i % 12) + 1:D2}-15",
            Vendor = "高橋, 渡辺 and 清水",
            NotApplicable = false,
            Designated = i % 7 == 0,
            BaselineStepCompletion = i / 20.0,
            ReportedAt = "2026-12-01T13:33:42.700778+00:00",
        });
        var items = Enumerable.Range(0, 47).Select(i => new { ItemId = $"SEC-{i / 10}-{i % 10:D2}", Status = i % 3, ReportedAt = "2026-12-01T13:33:42.700778+00:00" });
        return JsonSerializer.SerializeToUtf8Bytes(new { Record = new { Code = "242021", Version = 30, Systems = systems, Security = items } });
    }

    [Fact]
    public void A_state_of_a_page_or_more_is_stored_compressed_and_reads_back_byte_for_byte()
    {
        var json = MunicipalityLikeJson();
        Assert.True(json.Length > 8_000, $"{json.Length} bytes: not the size of a municipality's state");
        using var stored = StatePayload.Compress(json);
        Assert.NotNull(stored);
        Assert.True(stored.Length < json.Length / 4, $"{json.Length:N0} bytes of JSON stored as {stored.Length:N0}");

        // A plain zlib stream (RFC 1950) that any inflater reads, not a format of our own.
        using (var zlib = new ZLibStream(new MemoryStream(stored.Memory.ToArray()), CompressionMode.Decompress))
        using (var inflated = new MemoryStream())
        {
            zlib.CopyTo(inflated);
            Assert.Equal(json, inflated.ToArray());
        }

        Assert.Equal(json, StatePayload.ReadJson(stored.Memory.ToArray())!.ToArray());
    }

    [Theory]
    [InlineData(StatePayload.CompressFrom - 1, false)]
    [InlineData(StatePayload.CompressFrom, true)]
    [InlineData(2, false)]
    public void Only_json_of_CompressFrom_bytes_or_more_is_compressed(int length, bool compressed)
    {
        var json = Encoding.UTF8.GetBytes("\"" + new string('a', length - 2) + "\"");
        using var stored = StatePayload.Compress(json);
        Assert.Equal(compressed, stored is not null);
    }

    [Fact]
    public void Text_rows_and_cleared_rows_read_as_they_are()
    {
        const string json = """{"Record":{"Code":"131016","Vendor":"株式会社"}}""";
        Assert.Equal(Encoding.UTF8.GetBytes(json), StatePayload.ReadJson(json)!.ToArray());
        Assert.Null(StatePayload.ReadJson(DBNull.Value));
        Assert.Null(StatePayload.ReadJson(null));
        Assert.Throws<InvalidDataException>(() => StatePayload.ReadJson(42L));
    }

    public static TheoryData<string> Damages() => ["cut in half", "checksum missing", "checksum flipped", "a bit flipped inside", "not zlib", "empty", "trailing bytes"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_compressed_row_is_refused_never_read_as_a_shorter_state(string damage)
    {
        using var pooled = StatePayload.Compress(MunicipalityLikeJson())!;
        var stored = pooled.Memory.ToArray();
        var damaged = damage switch
        {
            "cut in half" => stored[..(stored.Length / 2)],
            "checksum missing" => stored[..^4],
            "checksum flipped" => Flip(stored, stored.Length - 2),
            "a bit flipped inside" => Flip(stored, stored.Length / 2),
            "not zlib" => Encoding.UTF8.GetBytes("{\"Record\":{}}"),
            "empty" => [],
            "trailing bytes" => [.. stored, 0, 0, 0, 0],
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };

        Assert.Throws<InvalidDataException>(() => StatePayload.ReadJson(damaged));
    }

    [Theory]
    [InlineData("", 1u)]
    [InlineData("a", 0x00620062u)]
    [InlineData("abc", 0x024d0127u)]
    [InlineData("Wikipedia", 0x11E60398u)]
    public void Adler32_matches_the_published_values(string text, uint expected) =>
        Assert.Equal(expected, StatePayload.Adler32(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Adler32_agrees_with_zlib_over_long_input()
    {
        // Past zlib's NMAX (5,552 bytes) the sums must be reduced in blocks: 1 MB of 0xFF is the worst case.
        var data = Enumerable.Repeat((byte)0xFF, 1 << 20).ToArray();
        var stream = new MemoryStream();
        using (var zlib = new ZLibStream(stream, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(data);
        }

        var written = stream.ToArray();
        var trailer = (uint)((written[^4] << 24) | (written[^3] << 16) | (written[^2] << 8) | written[^1]);
        Assert.Equal(trailer, StatePayload.Adler32(data));
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x10;
        return copy;
    }
}

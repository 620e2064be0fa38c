using Readiness.Grains;
using Xunit;

namespace Readiness.Tests.Grains;

public sealed class AppliedRequestsTests
{
    // Half with fingerprints and call ids as the grain and the web make them (kept packed), half as other text.
    private static AppliedRequest Request(string id, long version) => new(id,
        version % 2 == 0 ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(version))) : "F" + version, version)
    {
        CallId = (version % 3) switch { 0 => null, 1 => new Guid((int)version, 1, 2, [3, 4, 5, 6, 7, 8, 9, 10]).ToString("N"), _ => "call-" + version },
    };

    /// <summary>Fingerprints and call ids in every form a window may be given: the grain's, the web's, older and odd ones.</summary>
    public static TheoryData<string, string?> Forms() => new()
    {
        { Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("a"u8)), Guid.NewGuid().ToString("N") },
        { "0000000000000000000000000000000000000000000000000000000000000000", "00000000000000000000000000000000" },
        { "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", null },
        { Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("b"u8)).ToLowerInvariant(), Guid.NewGuid().ToString("N").ToUpperInvariant() },
        { Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("c"u8))[..63] + "G", Guid.NewGuid().ToString() },
        { Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("d"u8)) + "0", "web-call-a" },
        { "ABCDEF", "" },
        { "", "0123456789abcdef0123456789abcdeg" },
        { "指紋", "呼び出し" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Gives_back_the_very_fingerprint_and_call_id_it_was_given(string fingerprint, string? callId)
    {
        var kept = new AppliedRequests(4);
        var request = new AppliedRequest("key-1", fingerprint, 42) { CallId = callId };
        kept.Add(request);
        var found = kept.Find("key-1");
        Assert.Equal(request, found);
        Assert.Equal(fingerprint, found!.Fingerprint);
        Assert.Equal(callId, found.CallId);
    }

    [Fact]
    public void Keeps_the_last_capacity_requests_and_finds_them_by_id()
    {
        var kept = new AppliedRequests(3);
        for (var v = 1; v <= 5; v++)
        {
            kept.Add(Request("r" + v, v));
        }

        Assert.Equal(3, kept.Count);
        Assert.Null(kept.Find("r1"));
        Assert.Null(kept.Find("r2"));
        Assert.Equal(3, kept.Find("r3")!.Version);
        Assert.Equal(5, kept.Find("r5")!.Version);
        Assert.Equal([3L, 4L, 5L], kept.OldestFirst.Select(r => r.Version));
        Assert.Null(kept.Find("R5")); // ids are compared ordinally
    }

    [Fact]
    public void An_id_kept_twice_finds_the_newest_and_stays_findable_when_the_older_goes()
    {
        var kept = new AppliedRequests(3);
        kept.Add(Request("same", 1));
        kept.Add(Request("other", 2));
        kept.Add(Request("same", 3));
        Assert.Equal(3, kept.Find("same")!.Version);

        kept.Add(Request("x", 4)); // the older "same" goes
        Assert.Equal(3, kept.Find("same")!.Version);
        kept.Add(Request("y", 5));
        kept.Add(Request("z", 6)); // now the newer one goes too
        Assert.Null(kept.Find("same"));
    }

    [Fact]
    public void Reset_replaces_everything_and_keeps_the_newest()
    {
        var kept = new AppliedRequests(2);
        kept.Add(Request("old", 1));
        kept.Reset([Request("a", 10), Request("b", 11), Request("c", 12)]);
        Assert.Null(kept.Find("old"));
        Assert.Null(kept.Find("a"));
        Assert.Equal([11L, 12L], kept.OldestFirst.Select(r => r.Version));
        kept.Reset([]);
        Assert.Equal(0, kept.Count);
        Assert.Null(kept.Find("b"));
    }

    [Fact]
    public void Refuses_a_capacity_below_one() => Assert.Throws<ArgumentOutOfRangeException>(() => new AppliedRequests(0));

    /// <summary>Against the scan it replaces: the last N of everything added, searched from the newest.</summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(256, 3)]
    public void Answers_as_a_scan_of_the_last_requests_from_the_newest(int capacity, int seed)
    {
        var random = new Random(seed);
        var kept = new AppliedRequests(capacity);
        var all = new List<AppliedRequest>();
        for (var v = 1; v <= capacity * 4 + 50; v++)
        {
            // Few distinct ids, so the same id is often kept twice.
            var request = Request("id" + random.Next(capacity + 3), v);
            kept.Add(request);
            all.Add(request);
            var window = all.Skip(Math.Max(0, all.Count - capacity)).ToList();
            Assert.Equal(window.Select(r => (r.RequestId, r.Version)), kept.OldestFirst);
            for (var i = 0; i < capacity + 3; i++)
            {
                var id = "id" + i;
                Assert.Equal(window.LastOrDefault(r => r.RequestId == id), kept.Find(id));
            }
        }
    }
}

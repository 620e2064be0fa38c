using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Grains;
using Xunit;

namespace Readiness.Tests.Grains;

/// <summary>
/// A request's fingerprint is stored with it (readiness_applied_request) and compared with every retry's: a new way of
/// computing it must give the very bytes the stored ones were made from, or a retry across an upgrade would be refused
/// as a reused idempotency key.
/// </summary>
public sealed class FingerprintTests
{
    /// <summary>How every stored fingerprint was made: reflection-based System.Text.Json with web defaults, then SHA-256.</summary>
    private static string AsStored(ChangeRequest request) =>
        Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { request.Systems, request.Security }, WebJson)));

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    [Fact]
    public void A_fixed_request_keeps_its_stored_fingerprint()
    {
        var request = new ChangeRequest
        {
            RequestId = "r-1",
            Actor = new Actor("user-1", Role.Municipality, "011002"),
            Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing, Vendor = "富士通 \"Japan\"\n", PlannedGoLive = new DateOnly(2025, 10, 1), Omitted = ["hosting"] }],
            Security = [new SecurityChange { ItemId = "sec-01", Status = SecurityStatus.Implemented, Evidence = "https://example.jp/規程" }],
        };

        Assert.Equal(AsStored(request), AppliedRequest.FingerprintOf(request));
        // Computed once with the reflection-based form above (the form of every stored fingerprint) and kept: a change to
        // both would otherwise pass unseen.
        Assert.Equal("78B73DB00F2B61F9994D0C5B72D1791076828285433BA358CEA28AF9B4DBFD4A", AppliedRequest.FingerprintOf(request));
    }

    [Fact]
    public void Every_kind_of_request_gets_the_fingerprint_it_was_stored_with()
    {
        var random = new Random(20261201);
        string? Text() => random.Next(4) switch
        {
            0 => null,
            1 => "ベンダー" + random.Next(1000),
            2 => "a\"b\\c\u0001\u2028<script>&",
            _ => new string('x', random.Next(0, 300)),
        };
        T? Pick<T>() where T : struct, Enum
        {
            var values = Enum.GetValues<T>();
            return random.Next(values.Length + 1) is var i && i == values.Length ? null : values[i];
        }

        DateOnly? Date() => random.Next(3) == 0 ? null : new DateOnly(2020, 1, 1).AddDays(random.Next(4000));
        ImmutableArray<string> Omitted(ImmutableArray<string> members) => [.. members.Where(_ => random.Next(4) == 0)];

        var catalog = ReadinessCatalog.Instance;
        for (var n = 0; n < 200; n++)
        {
            var request = new ChangeRequest
            {
                RequestId = "r-" + n,
                Actor = new Actor("user-1", Role.Municipality, "011002"),
                Systems = [.. catalog.BusinessSystems.Where(_ => random.Next(2) == 0).Select(b => new SystemChange
                {
                    BusinessId = b.Id,
                    Phase = Pick<MigrationPhase>(),
                    PlannedGoLive = Date(),
                    Vendor = Text(),
                    Hosting = Pick<HostingKind>(),
                    NotApplicable = random.Next(2) == 0,
                    Designation = random.Next(2) == 0 ? null : new DesignationInput(Pick<DesignationReason>(), Date()),
                    Reason = Text(),
                    Omitted = Omitted(SystemChange.Members),
                    CloudProvider = Pick<CloudProvider>(),
                })],
                Security = [.. catalog.SecurityItems.Where(_ => random.Next(2) == 0).Select(i => new SecurityChange
                {
                    ItemId = i.Id,
                    Status = Pick<SecurityStatus>(),
                    Evidence = Text(),
                    LastReviewed = Date(),
                    Omitted = Omitted(SecurityChange.Members),
                })],
            };

            Assert.Equal(AsStored(request), AppliedRequest.FingerprintOf(request));
        }
    }

    [Fact]
    public void Different_content_gives_a_different_fingerprint()
    {
        var a = new ChangeRequest { RequestId = "r", Actor = new Actor("u", Role.Municipality, "011002"), Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing }] };
        var b = a with { Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.InProduction }] };

        Assert.NotEqual(AppliedRequest.FingerprintOf(a), AppliedRequest.FingerprintOf(b));
        Assert.Equal(AppliedRequest.FingerprintOf(a), AppliedRequest.FingerprintOf(a with { RequestId = "other", CallId = "c" }));
    }
}

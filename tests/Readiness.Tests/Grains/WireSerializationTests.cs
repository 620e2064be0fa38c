using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Xunit;

namespace Readiness.Grains;

/// <summary>
/// What crosses between the web node and a silo of a cluster goes through Orleans' serializer: an outcome's audit
/// entries must come back equal, every field's name, value (null too) and flag (an <see cref="AuditField"/> is a value).
/// </summary>
public sealed class WireSerializationTests
{
    [Fact]
    public void An_outcome_s_audit_entries_cross_the_wire_unchanged()
    {
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var entry = new ChangeEntry
        {
            MunicipalityCode = "131016", Version = 7, At = new DateTimeOffset(2026, 12, 6, 21, 0, 0, TimeSpan.Zero),
            Actor = new Actor("u-1", Role.Municipality, "131016"), RequestId = "r-1", Target = "system:juki",
            BeforeFields = [new AuditField("phase", "planning"), new AuditField("vendor", null), new AuditField("designated", "false", IsFlag: true)],
            AfterFields = [new AuditField("phase", "testing"), new AuditField("regressionReason", "再調達 🙂"), new AuditField("designated", "true", IsFlag: true)],
        };

        var back = serializer.Deserialize<ImmutableArray<ChangeEntry>>(serializer.SerializeToArray(ImmutableArray.Create(entry)));

        var got = Assert.Single(back);
        Assert.Equal(entry.BeforeFields.ToArray(), got.BeforeFields.ToArray());
        Assert.Equal(entry.AfterFields.ToArray(), got.AfterFields.ToArray());
        Assert.Equal(entry with { BeforeFields = [], AfterFields = [] }, got with { BeforeFields = [], AfterFields = [] });
    }
}

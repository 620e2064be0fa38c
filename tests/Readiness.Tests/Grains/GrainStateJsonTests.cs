using System.Collections.Immutable;
using System.Text;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;
using Readiness.Catalog;
using Readiness.Grains;
using Xunit;

namespace Readiness.Tests.Grains;

/// <summary>
/// The municipality's state is written by generated code (<see cref="GrainStateJson"/>) but read, and was written
/// before, by Orleans' System.Text.Json grain-storage serializer: both must give the very same bytes for every state.
/// </summary>
public sealed class GrainStateJsonTests
{
    /// <summary>Orleans' serializer with its default options (the converters Orleans adds concern types no municipality state holds).</summary>
    private static readonly SystemTextJsonGrainStorageSerializer Orleans = new(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));

    /// <summary>
    /// A prefecture's own record keeps when it sent each system (<see cref="PrefectureRunRecord.ChangedAt"/>) through
    /// storage; a row written before that member reads as none sent (empty, never null), so its reports still count.
    /// </summary>
    [Fact]
    public void A_prefecture_run_state_keeps_its_sends_and_an_older_row_reads_as_none_sent()
    {
        var at = new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero);
        var record = Readiness.Rules.PrefectureRunRules.Create("03", at) with
        {
            ChangedAt = ImmutableDictionary<string, DateTimeOffset>.Empty.Add("child_rearing_allowance", at),
        };
        var json = Orleans.Serialize(new PrefectureRunGrainState { Record = record });
        var back = Orleans.Deserialize<PrefectureRunGrainState>(json)!.Record!;
        Assert.Equal(at, Assert.Single(back.ChangedAt).Value);
        Assert.True(back.ChangedSince(back.Systems[0], Readiness.Rules.ReadinessRules.TodayInJapan(at)));

        var older = Encoding.UTF8.GetString(json.ToArray()).Replace("\"ChangedAt\"", "\"ChangedAtGone\"", StringComparison.Ordinal);
        var old = Orleans.Deserialize<PrefectureRunGrainState>(new BinaryData(Encoding.UTF8.GetBytes(older)))!.Record!;
        Assert.NotNull(old.ChangedAt);
        Assert.Empty(old.ChangedAt);
        Assert.False(old.ChangedSince(old.Systems[0], Readiness.Rules.ReadinessRules.TodayInJapan(at)));
    }

    [Fact]
    public void The_generated_writer_is_the_fast_path_not_reflection()
    {
        // Without a serialize handler the context would fall back to the converter machinery it exists to avoid.
        Assert.NotNull(GrainStateJson.Default.MunicipalityGrainState.SerializeHandler);
    }

    [Fact]
    public void Every_kind_of_state_is_written_as_Orleans_writes_it_and_reads_back_equal()
    {
        var random = new Random(20261201);
        for (var i = 0; i < 200; i++)
        {
            var state = RandomState(random, i);
            using var pooled = GrainStateJson.TrySerialize(state);
            Assert.NotNull(pooled);
            var generated = pooled.Memory.ToArray();
            var expected = Orleans.Serialize(state).ToArray();
            Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(generated));

            // Read back by Orleans: the same record, systems, items and remembered requests.
            var back = Orleans.Deserialize<MunicipalityGrainState>(new BinaryData(generated))!;
            Assert.Equal(state.Record is null, back.Record is null);
            if (state.Record is { } record)
            {
                // Element by element: ImmutableArray's own equality is the reference of its array.
                Assert.Equal([.. record.Systems], back.Record!.Systems.ToArray());
                Assert.Equal([.. record.Security], back.Record.Security.ToArray());
                Assert.Equal([.. record.Provenance.Sources], back.Record.Provenance.Sources.ToArray());
                Assert.Equal(record, back.Record with { Systems = record.Systems, Security = record.Security, Provenance = record.Provenance });
            }

            Assert.Equal([.. state.Requests], back.Requests.ToArray());
            Assert.Equal(state.RecentChanges.Length, back.RecentChanges.Length);
        }
    }

    [Fact]
    public void Every_kind_of_state_is_read_by_the_generated_reader_as_Orleans_reads_it()
    {
        var random = new Random(20261202);
        for (var i = 0; i < 200; i++)
        {
            var json = Orleans.Serialize(RandomState(random, i));
            var byOrleans = Orleans.Deserialize<MunicipalityGrainState>(json)!;
            Assert.True(GrainStateJson.TryDeserialize<MunicipalityGrainState>(json.ToMemory().Span, out var generated));

            // Compared through what each writes again: every record field, system, item and remembered request.
            Assert.Equal(Encoding.UTF8.GetString(Orleans.Serialize(byOrleans).ToArray()), Encoding.UTF8.GetString(Orleans.Serialize(generated!).ToArray()));
        }
    }

    [Fact]
    public void A_row_from_another_version_is_read_as_Orleans_reads_it_and_a_damaged_one_is_refused_alike()
    {
        var json = Encoding.UTF8.GetString(Orleans.Serialize(RandomState(new Random(7), 7)).ToArray());
        // A member this version does not know (from a newer one) and one it misses (from an older one).
        var other = "{\"Unknown\":{\"Nested\":[1,2,3]}," + json[1..].Replace("\"RecentChanges\"", "\"RecentChangesGone\"", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(other);
        var byOrleans = Orleans.Deserialize<MunicipalityGrainState>(new BinaryData(bytes))!;
        Assert.True(GrainStateJson.TryDeserialize<MunicipalityGrainState>(bytes, out var generated));
        Assert.Equal(Encoding.UTF8.GetString(Orleans.Serialize(byOrleans).ToArray()), Encoding.UTF8.GetString(Orleans.Serialize(generated!).ToArray()));

        var damaged = Encoding.UTF8.GetBytes(json[..(json.Length / 2)]);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => Orleans.Deserialize<MunicipalityGrainState>(new BinaryData(damaged)));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => GrainStateJson.TryDeserialize<MunicipalityGrainState>(damaged, out _));
    }

    [Fact]
    public void A_state_larger_than_the_kept_buffer_is_written_whole_and_the_next_one_too()
    {
        var random = new Random(7);
        var large = RandomState(random, 1);
        large.Record = large.Record! with { Systems = [.. large.Record.Systems.Select(s => s with { Vendor = new string('大', 100_000) })] };
        var small = RandomState(random, 2);

        using var first = GrainStateJson.TrySerialize(large);
        using var second = GrainStateJson.TrySerialize(small);
        Assert.Equal(Orleans.Serialize(large).ToArray(), first!.Memory.ToArray());
        Assert.Equal(Orleans.Serialize(small).ToArray(), second!.Memory.ToArray());
    }

    [Fact]
    public void Pooled_JSON_is_readable_until_disposed_and_disposes_once()
    {
        var state = RandomState(new Random(3), 3);
        var json = GrainStateJson.TrySerialize(state)!;
        var bytes = json.Memory.ToArray();
        Assert.Equal(json.Length, bytes.Length);

        json.Dispose();
        json.Dispose(); // a second dispose does not give the array back twice
        Assert.Throws<ObjectDisposedException>(() => json.Memory);

        // Two states written one after the other keep their own bytes while both are held.
        using var a = GrainStateJson.TrySerialize(RandomState(new Random(4), 4))!;
        using var b = GrainStateJson.TrySerialize(RandomState(new Random(5), 5))!;
        Assert.Equal(Orleans.Serialize(RandomState(new Random(4), 4)).ToArray(), a.Memory.ToArray());
        Assert.Equal(Orleans.Serialize(RandomState(new Random(5), 5)).ToArray(), b.Memory.ToArray());
    }

    [Fact]
    public void A_state_it_does_not_list_is_left_to_Orleans()
    {
        Assert.Null(GrainStateJson.TrySerialize(new MunicipalityRecordHolder()));
        Assert.False(GrainStateJson.TryDeserialize<MunicipalityRecordHolder>("{}"u8, out _));
    }

    private sealed class MunicipalityRecordHolder
    {
        public MunicipalityRecord? Record { get; set; }
    }

    private static MunicipalityGrainState RandomState(Random random, int n)
    {
        var catalog = ReadinessCatalog.Instance;
        string? Text() => random.Next(5) switch
        {
            0 => null,
            1 => "富士通 Japan " + random.Next(1000),
            2 => "a\"b\\c\u0001\u2028<script>&'+ 😀",
            3 => "",
            _ => new string('x', random.Next(0, 400)),
        };
        T? Pick<T>() where T : struct, Enum
        {
            var values = Enum.GetValues<T>();
            return random.Next(values.Length + 1) is var i && i == values.Length ? null : values[i];
        }

        DateOnly? Date() => random.Next(3) == 0 ? null : new DateOnly(2020, 1, 1).AddDays(random.Next(4000));
        DateTimeOffset? At() => random.Next(3) == 0 ? null : new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(random.Next(2) * 9)).AddTicks(random.NextInt64(TimeSpan.TicksPerDay * 700));
        var actor = random.Next(3) == 0 ? null : new Actor("user-" + n, Role.Municipality, random.Next(2) == 0 ? null : "011002");
        var dataset = random.Next(2) == 0 ? null : new OfficialDatasetRef("sha-" + n, "総務省", new DateOnly(2026, 3, 31), "mic-admin", DateTimeOffset.UnixEpoch.AddDays(20_000));

        var record = new MunicipalityRecord
        {
            Code = catalog.Municipalities[n % catalog.Municipalities.Count].Code,
            Version = random.NextInt64(0, 1_000_000),
            Systems = [.. catalog.BusinessSystems.Select(b => new SystemStatus
            {
                BusinessId = b.Id,
                Phase = Pick<MigrationPhase>() ?? MigrationPhase.NotStarted,
                PlannedGoLive = Date(),
                Vendor = Text(),
                Hosting = Pick<HostingKind>(),
                NotApplicable = random.Next(5) == 0,
                Designated = random.Next(3) == 0,
                DesignationReason = Pick<DesignationReason>(),
                DesignationTarget = Date(),
                Regression = random.Next(4) == 0,
                RegressionReason = Text(),
                BaselineStepCompletion = random.Next(3) == 0 ? null : Math.Round((decimal)random.NextDouble(), random.Next(1, 6)),
                ReportedAt = At(),
                CloudProvider = Pick<CloudProvider>(),
                OfficialSteps = random.Next(2) == 0 ? null : new string('D', 20) + new string('W', 20),
            })],
            Security = [.. catalog.SecurityItems.Select(s => new SecurityItemStatus
            {
                ItemId = s.Id,
                Status = Pick<SecurityStatus>() ?? SecurityStatus.NotAssessed,
                Evidence = Text(),
                LastReviewed = Date(),
                ReportedAt = At(),
            })],
            Provenance = new DataProvenance(Pick<DataOrigin>() ?? DataOrigin.Synthetic, "公開データ", random.Next(2) == 0 ? [] : ["https://www.soumu.go.jp/", "デジタル庁"]),
            LastReportedAt = At(),
            CreatedAt = DateTimeOffset.UnixEpoch.AddSeconds(random.Next()),
            UpdatedAt = At(),
            UpdatedBy = actor,
            Official = dataset,
            OfficialDesignation = random.Next(2) == 0 ? null : dataset,
        };

        var state = new MunicipalityGrainState { Record = random.Next(20) == 0 ? null : record };
        if (random.Next(4) == 0)
        {
            // Kept only in states stored before the applied-request table: still readable, and written as they are.
            state.Requests = [new AppliedRequest("req-" + n, "ABCDEF", 3) { CallId = random.Next(2) == 0 ? null : "call-1" }];
            state.RecentChanges =
            [
                new ChangeEntry
                {
                    MunicipalityCode = record.Code, Version = 3, At = DateTimeOffset.UnixEpoch, Actor = Actor.System, RequestId = "req-" + n,
                    Target = "system:koseki", Before = "phase=planning", After = null, ClientAddress = "127.0.0.1",
                    BeforeFields = [new AuditField("phase", "planning"), new AuditField("designated", "false", true)], AfterFields = [new AuditField("vendor", null)],
                },
            ];
        }

        state.Audit = null;
        return state;
    }
}

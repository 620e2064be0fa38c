using System.Text.Json;
using System.Text.Json.Serialization;

namespace Readiness.WriteCeiling;

/// <summary>The body of a single change.</summary>
public sealed record ItemChange(string Status);

/// <summary>What <c>GET /ceiling/counts</c> answers.</summary>
public sealed record Counts(long AuditRows, long AllocatedBytes);

[JsonSerializable(typeof(ItemChange))]
[JsonSerializable(typeof(Counts))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
public sealed partial class CeilingJson : JsonSerializerContext;

[GenerateSerializer, Immutable, Alias("Ceiling.ChangeCommand")]
public sealed record ChangeCommand([property: Id(0)] string Item, [property: Id(1)] string Status, [property: Id(2)] string RequestId, [property: Id(3)] string Subject);

[Alias("Ceiling.IMunicipalityGrain")]
public interface ICeilingMunicipalityGrain : IGrainWithStringKey
{
    /// <summary>Applies a change once (a request id seen before answers its version again) and returns the new version.</summary>
    [Alias("Change")]
    Task<long> ChangeAsync(ChangeCommand command);

    /// <summary>The current version, from memory: the floor of one grain call (no write).</summary>
    [Alias("Version")]
    Task<long> VersionAsync();
}

[Alias("Ceiling.IPrefectureGrain")]
public interface ICeilingPrefectureGrain : IGrainWithStringKey
{
    /// <summary>A municipality's new count of implemented items at its version (older versions are ignored).</summary>
    [Alias("Changed"), Orleans.Concurrency.OneWay]
    Task ChangedAsync(string code, long version, int implemented);
}

/// <summary>
/// A municipality: its 47 items in memory, each change written (state row and audit row, in a group commit with
/// fsync) before it is kept or answered, its recent request ids remembered, its prefecture told the new figure.
/// </summary>
public sealed class CeilingMunicipalityGrain(GroupCommitLog log) : Grain, ICeilingMunicipalityGrain
{
    private readonly Dictionary<string, string> items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> applied = new(StringComparer.Ordinal);
    private readonly Queue<string> recent = new();
    private long version;

    public async Task<long> ChangeAsync(ChangeCommand command)
    {
        if (applied.TryGetValue(command.RequestId, out var done))
        {
            return done;
        }

        var next = version + 1;
        var before = items.GetValueOrDefault(command.Item);
        var state = new Dictionary<string, string>(items, StringComparer.Ordinal) { [command.Item] = command.Status };
        var payload = JsonSerializer.SerializeToUtf8Bytes(state, CeilingJson.Default.DictionaryStringString);
        var code = this.GetPrimaryKeyString();
        await log.WriteAsync(new LogEntry(code, next, payload, command.Item, before, command.Status, command.RequestId, command.Subject, DateTimeOffset.UtcNow));

        version = next;
        items[command.Item] = command.Status;
        applied[command.RequestId] = next;
        recent.Enqueue(command.RequestId);
        if (recent.Count > 256)
        {
            applied.Remove(recent.Dequeue());
        }

        var implemented = items.Values.Count(s => s == "implemented");
        _ = GrainFactory.GetGrain<ICeilingPrefectureGrain>(code[..2]).ChangedAsync(code, next, implemented);
        return next;
    }

    public Task<long> VersionAsync() => Task.FromResult(version);
}

/// <summary>A prefecture's aggregate: the sum of its municipalities' latest figures.</summary>
public sealed class CeilingPrefectureGrain : Grain, ICeilingPrefectureGrain
{
    private readonly Dictionary<string, (long Version, int Implemented)> municipalities = new(StringComparer.Ordinal);
    private long total;

    public Task ChangedAsync(string code, long version, int implemented)
    {
        if (!municipalities.TryGetValue(code, out var held) || held.Version < version)
        {
            total += implemented - held.Implemented;
            municipalities[code] = (version, implemented);
        }

        return Task.CompletedTask;
    }
}

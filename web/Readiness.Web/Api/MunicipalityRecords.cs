using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;

namespace Readiness.Web.Api;

/// <summary>
/// What a read of many municipalities found: the values read (in the order asked, which every caller takes from the
/// catalog) and the municipalities whose stored state could not be read (<see cref="UnreadableStateException"/>), also
/// in the order asked. A caller serves <see cref="Readable"/> and says which are missing.
/// </summary>
public sealed record MunicipalitiesRead<T>(IReadOnlyList<(MunicipalityInfo Municipality, T Value)> Readable, IReadOnlyList<MunicipalityInfo> Unreadable)
{
    /// <summary>The 6-digit codes of <see cref="Unreadable"/>, in the order asked.</summary>
    public IReadOnlyList<string> UnreadableCodes => [.. Unreadable.Select(m => m.Code)];
}

/// <summary>
/// The one path for reading many municipalities through their grains (the national export, the forecasts and vendor
/// views, the reconciliation, the background jobs). Reads at most <see cref="Concurrency"/> at a time through
/// <see cref="GrainCalls.Run{T}"/> (idempotent: a transient failure is tried again); a municipality whose stored state
/// cannot be read is set aside in <see cref="MunicipalitiesRead{T}.Unreadable"/> instead of failing the whole read, so
/// one damaged row does not take the answer away from everyone else. Any other failure, and cancellation, still fail
/// the read: only <see cref="UnreadableStateException"/> is permanent and about one municipality.
/// </summary>
public sealed class MunicipalityRecords(IGrainFactory grains, GrainCalls calls)
{
    /// <summary>Grain calls in flight at once, unless the caller asks for fewer.</summary>
    public const int Concurrency = 64;

    /// <summary>The records of <paramref name="municipalities"/>, and those that could not be read.</summary>
    public Task<MunicipalitiesRead<MunicipalityRecord>> ReadAsync(IReadOnlyList<MunicipalityInfo> municipalities, CancellationToken cancellationToken, int concurrency = Concurrency) =>
        ReadAsync(municipalities, g => g.GetAsync(), cancellationToken, concurrency);

    /// <summary>What <paramref name="read"/> answers for each of <paramref name="municipalities"/> (e.g. its summary), and those that could not be read.</summary>
    public Task<MunicipalitiesRead<T>> ReadAsync<T>(IReadOnlyList<MunicipalityInfo> municipalities, Func<IMunicipalityGrain, Task<T>> read, CancellationToken cancellationToken,
        int concurrency = Concurrency) =>
        ReadEachAsync(municipalities, (m, ct) => calls.Run(() => read(grains.GetGrain<IMunicipalityGrain>(m.Code)), idempotent: true, ct), concurrency, cancellationToken);

    /// <summary>
    /// The catalog's municipalities of <paramref name="codes"/> (codes not in the catalog are left out: every caller's
    /// codes were matched against it), in the order given, without repeats.
    /// </summary>
    public static IReadOnlyList<MunicipalityInfo> Of(IEnumerable<string> codes)
    {
        var catalog = ReadinessCatalog.Instance;
        return [.. codes.Distinct(StringComparer.Ordinal).Select(c => catalog.MunicipalitiesByCode.GetValueOrDefault(c)).OfType<MunicipalityInfo>()];
    }

    /// <summary>
    /// Reads each municipality with <paramref name="read"/>, at most <paramref name="concurrency"/> at a time, and
    /// combines: the values in the order given, and the municipalities whose read failed with an
    /// <see cref="UnreadableStateException"/> (found inside wrappers, <see cref="UnreadableStateException.Find"/>).
    /// Any other exception, and cancellation, propagate.
    /// </summary>
    public static async Task<MunicipalitiesRead<T>> ReadEachAsync<T>(IReadOnlyList<MunicipalityInfo> municipalities, Func<MunicipalityInfo, CancellationToken, Task<T>> read,
        int concurrency, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(municipalities);
        ArgumentNullException.ThrowIfNull(read);
        var values = new T[municipalities.Count];
        var readable = new bool[municipalities.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, municipalities.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                try
                {
                    values[i] = await read(municipalities[i], ct);
                    readable[i] = true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException && UnreadableStateException.Find(ex) is not null)
                {
                    // Asking again reads the same bytes: set aside, named by the caller.
                }
            });

        var found = new List<(MunicipalityInfo, T)>(municipalities.Count);
        var unreadable = new List<MunicipalityInfo>();
        for (var i = 0; i < municipalities.Count; i++)
        {
            if (readable[i])
            {
                found.Add((municipalities[i], values[i]));
            }
            else
            {
                unreadable.Add(municipalities[i]);
            }
        }

        return new MunicipalitiesRead<T>(found, unreadable);
    }
}

/// <summary>A municipality left out of a view because its stored state cannot be read: its code, prefecture and name.</summary>
public sealed record UnreadableMunicipalityView(string Code, string PrefectureCode, string Prefecture, string Name);

/// <summary>
/// The municipalities a view over many was computed without, because their stored state cannot be read: how many,
/// which, and a sentence saying so in Japanese and English (null when none).
/// </summary>
public sealed record UnreadableMunicipalitiesView(int Count, IReadOnlyList<UnreadableMunicipalityView> Municipalities, string? MessageJa, string? MessageEn)
{
    public static readonly UnreadableMunicipalitiesView None = new(0, [], null, null);

    /// <summary>
    /// Municipalities not in a summary's figures (nation, prefecture): their stored state cannot be read, or their
    /// summary has not reached the aggregation yet (a failed pull is tried again at the next reconciliation).
    /// </summary>
    public static UnreadableMunicipalitiesView Missing(IReadOnlyList<MunicipalityInfo> missing) =>
        Named(missing, (count, ja) => MissingJa(count, $"（{ja}）"), (count, en) => MissingEn(count, $" ({en})"));

    /// <summary>As <see cref="Missing(IReadOnlyList{MunicipalityInfo})"/> when only the number is known (a past day's snapshot).</summary>
    public static UnreadableMunicipalitiesView Missing(int count) =>
        count <= 0 ? None : new(count, [], MissingJa(count, ""), MissingEn(count, ""));

    private static string MissingJa(int count, string named) =>
        $"{count}団体{named}がこの集計に含まれていません。保存データを読み取れないか、まだ集計に届いていません（管理者は /health/ready で確認できます）。";

    private static string MissingEn(int count, string named) =>
        $"{count} municipalit{(count == 1 ? "y" : "ies")}{named} {(count == 1 ? "is" : "are")} not in these figures: {(count == 1 ? "its" : "their")} stored data cannot be read, or has not reached the aggregation yet (administrators: see /health/ready).";

    public static UnreadableMunicipalitiesView Of(IReadOnlyList<MunicipalityInfo> unreadable) =>
        Named(unreadable,
            (count, named) => $"保存データを読み取れない{count}団体（{named}）を除いて計算しています。バックアップから復元すると、次の計算から含まれます。",
            (count, named) => $"{count} municipalit{(count == 1 ? "y" : "ies")} whose stored data cannot be read {(count == 1 ? "is" : "are")} left out ({named}); once restored from a backup, the next computation includes {(count == 1 ? "it" : "them")}.");

    // The list with its sentences: the first ten named ("131016 千代田区"), the rest counted.
    private static UnreadableMunicipalitiesView Named(IReadOnlyList<MunicipalityInfo> municipalities, Func<int, string, string> japanese, Func<int, string, string> english)
    {
        if (municipalities.Count == 0)
        {
            return None;
        }

        var catalog = ReadinessCatalog.Instance;
        var count = municipalities.Count;
        var named = string.Join("、", municipalities.Take(10).Select(m => $"{m.Code} {m.Name}")) + (count > 10 ? $" ほか{count - 10}団体" : "");
        var namedEn = string.Join(", ", municipalities.Take(10).Select(m => $"{m.Code} {m.Name}")) + (count > 10 ? $" and {count - 10} more" : "");
        return new(count,
            [.. municipalities.Select(m => new UnreadableMunicipalityView(m.Code, m.PrefectureCode, catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name))],
            japanese(count, named), english(count, namedEn));
    }
}

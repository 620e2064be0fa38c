using Readiness.Imports;

namespace Readiness.Grains;

[GenerateSerializer, Alias("Readiness.OfficialImportGrainState")]
public sealed class OfficialImportGrainState
{
    [Id(0)] public OfficialImportRecord? Record { get; set; }
}

/// <summary>One official dataset version (key: the file's SHA-256): written once, then only marked applied (and completed later by rows it refused as unreadable).</summary>
public sealed class OfficialImportGrain(
    [PersistentState("officialImport", ReadinessStorage.Name)] IPersistentState<OfficialImportGrainState> state) : Grain, IOfficialImportGrain
{
    public Task<OfficialImportRecord?> GetAsync() => Task.FromResult(state.State.Record);

    public async Task<OfficialImportRecord> StoreAsync(OfficialImportRecord record)
    {
        if (state.State.Record is { } existing)
        {
            return existing; // the same file again: the first upload stands
        }

        state.State.Record = record;
        await state.WriteStateAsync();
        return record;
    }

    public async Task<OfficialImportRecord> MarkAppliedAsync(OfficialImportResult result)
    {
        var record = state.State.Record ?? throw new InvalidOperationException("No import is stored under this id.");
        // Applied once; only the same apply (same instant) may be completed later, by rows it refused as unreadable.
        if (record.Applied is { } done && (done.Unreadable.IsDefaultOrEmpty || done.AppliedAt != result.AppliedAt))
        {
            return record;
        }

        state.State.Record = record with { Applied = result };
        await state.WriteStateAsync();
        return state.State.Record;
    }

    public async Task<OfficialImportRecord?> MarkReplacedAsync(string byId, int municipalitiesTakenOver)
    {
        if (state.State.Record is not { Applied: { } done } record
            || (done.ReplacedBy == byId && done.MunicipalitiesTakenOver == municipalitiesTakenOver))
        {
            return state.State.Record;
        }

        state.State.Record = record with { Applied = done with { ReplacedBy = byId, MunicipalitiesTakenOver = municipalitiesTakenOver } };
        await state.WriteStateAsync();
        return state.State.Record;
    }
}

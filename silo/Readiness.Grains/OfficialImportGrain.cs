using Readiness.Imports;

namespace Readiness.Grains;

[GenerateSerializer, Alias("Readiness.OfficialImportGrainState")]
public sealed class OfficialImportGrainState
{
    [Id(0)] public OfficialImportRecord? Record { get; set; }
}

/// <summary>One official dataset version (key: the file's SHA-256): written once, then only marked applied.</summary>
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
        if (record.Applied is not null)
        {
            return record;
        }

        state.State.Record = record with { Applied = result };
        await state.WriteStateAsync();
        return state.State.Record;
    }
}

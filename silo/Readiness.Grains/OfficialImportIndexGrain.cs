using System.Collections.Immutable;
using Readiness.Imports;

namespace Readiness.Grains;

[GenerateSerializer, Alias("Readiness.OfficialImportIndexGrainState")]
public sealed class OfficialImportIndexGrainState
{
    [Id(0)] public ImmutableArray<OfficialImportListing> Imports { get; set; } = [];
}

/// <summary>The list of dataset versions, newest upload first (a few a month: one small state).</summary>
public sealed class OfficialImportIndexGrain(
    [PersistentState("officialImportIndex", ReadinessStorage.Name)] IPersistentState<OfficialImportIndexGrainState> state) : Grain, IOfficialImportIndexGrain
{
    public Task<ImmutableArray<OfficialImportListing>> ListAsync() => Task.FromResult(state.State.Imports);

    public async Task PutAsync(OfficialImportListing listing)
    {
        var current = state.State.Imports.IsDefault ? [] : state.State.Imports;
        if (current.Contains(listing))
        {
            return;
        }

        state.State.Imports = [.. current.Where(l => l.Id != listing.Id).Append(listing).OrderByDescending(l => l.UploadedAt)];
        await state.WriteStateAsync();
    }
}

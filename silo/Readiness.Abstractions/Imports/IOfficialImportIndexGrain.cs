using System.Collections.Immutable;
using Orleans.Concurrency;
using Readiness.Grains;

namespace Readiness.Imports;

/// <summary>
/// The list of official dataset versions (key: <see cref="Key"/>): one line per uploaded file, newest first, kept in
/// step with each <see cref="IOfficialImportGrain"/> (stored on upload, updated on apply).
/// </summary>
[Alias("Readiness.IOfficialImportIndexGrain")]
public interface IOfficialImportIndexGrain : IGrainWithStringKey
{
    public const string Key = "all";

    [ReadOnly, Alias("List")]
    Task<ImmutableArray<OfficialImportListing>> ListAsync();

    /// <summary>Adds the line, or replaces the line with the same id.</summary>
    [Alias("Put")]
    Task PutAsync(OfficialImportListing listing);
}

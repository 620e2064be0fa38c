namespace Readiness.Grains;

/// <summary>
/// Many grains' stored states read in one query, without activating the grains. Reconciliation reads its municipalities
/// this way: a stored state is what its grain holds (a change is written before it is acknowledged or kept in memory),
/// and waking each municipality instead queued hundreds of activations ahead of the writers' own calls when a
/// prefecture activated again after its silo died (docs/performance.md, thirteenth round).
/// </summary>
public interface IStoredGrainStates
{
    /// <summary>
    /// The stored states of <paramref name="grainIds"/> under <paramref name="stateName"/>, deserialized as their grains
    /// read them. A grain is absent when it has no row (never written), its row was cleared, its row cannot be read, or
    /// its state is still only in the pre-upgrade Orleans table: ask that grain itself, which reads (or seeds, or refuses)
    /// as it always does.
    /// </summary>
    /// <exception cref="StorageUnavailableException">The database could not be reached.</exception>
    Task<IReadOnlyDictionary<GrainId, T>> ReadAsync<T>(string stateName, IReadOnlyList<GrainId> grainIds);
}

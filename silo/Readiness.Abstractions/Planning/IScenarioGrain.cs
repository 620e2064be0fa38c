using System.Collections.Immutable;

namespace Readiness.Planning;

/// <summary>What saving a scenario did: Saved (new version), or a conflict when another save came first.</summary>
public enum ScenarioSaveStatus
{
    Saved,
    VersionConflict,
}

[GenerateSerializer, Immutable, Alias("Readiness.Planning.ScenarioSaveOutcome")]
public sealed record ScenarioSaveOutcome(
    [property: Id(0)] ScenarioSaveStatus Status,
    [property: Id(1)] ForecastScenario? Scenario);

/// <summary>
/// The national what-if scenarios (one grain, key <see cref="Key"/>): saved durably in grain storage with their
/// audit trail (who saved or deleted what, when). Validation happens before (ScenarioRules.Validate).
/// </summary>
[Alias("Readiness.Planning.IScenarioGrain")]
public interface IScenarioGrain : IGrainWithStringKey
{
    public const string Key = "national";

    [Alias("GetAll")]
    Task<ImmutableArray<ForecastScenario>> GetAllAsync();

    /// <summary>Creates or replaces the named scenario; <paramref name="expectedVersion"/> (when given) must match the stored one (0: new).</summary>
    [Alias("Save")]
    Task<ScenarioSaveOutcome> SaveAsync(ForecastScenario scenario, Actor actor, long? expectedVersion);

    /// <summary>Deletes the named scenario; false when there was none.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync(string name, Actor actor);

    /// <summary>The scenarios' audit trail, newest first.</summary>
    [Alias("GetAudit")]
    Task<ImmutableArray<ScenarioAuditEntry>> GetAuditAsync();
}

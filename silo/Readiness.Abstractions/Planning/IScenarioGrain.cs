using System.Collections.Immutable;

namespace Readiness.Planning;

/// <summary>
/// What saving or deleting a scenario did. Only <see cref="Saved"/>, <see cref="Created"/> and <see cref="Deleted"/>
/// changed anything (a new version and one audit entry, or the removal and one entry); the others changed nothing.
/// </summary>
public enum ScenarioSaveStatus
{
    /// <summary>An existing scenario replaced at the version expected: a new version.</summary>
    Saved,

    /// <summary>The expected version is not the stored one (<see cref="ScenarioSaveOutcome.Scenario"/>: the stored one).</summary>
    VersionConflict,

    /// <summary>A new scenario (version 1).</summary>
    Created,

    /// <summary>A replacement whose content equals the stored scenario: no new version, no audit entry.</summary>
    Unchanged,

    /// <summary>The scenario exists and no version was given: replacing or deleting it needs the version read.</summary>
    VersionRequired,

    /// <summary>No scenario has the name, and a version (other than 0 for a save) was expected.</summary>
    NotFound,

    /// <summary>Deleted at the version expected.</summary>
    Deleted,
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

    /// <summary>
    /// Creates the named scenario (<paramref name="expectedVersion"/> null or 0) or replaces it (<paramref name="expectedVersion"/>
    /// must be the stored version: <see cref="ScenarioSaveStatus.VersionRequired"/> without one, so nobody replaces a
    /// scenario unseen); a replacement that changes nothing is <see cref="ScenarioSaveStatus.Unchanged"/>.
    /// </summary>
    [Alias("Save")]
    Task<ScenarioSaveOutcome> SaveAsync(ForecastScenario scenario, Actor actor, long? expectedVersion);

    /// <summary>As <see cref="SaveAsync(ForecastScenario, Actor, long?)"/>, the audit entry keeping <paramref name="origin"/>'s client address and request id.</summary>
    [Alias("SaveFrom")]
    Task<ScenarioSaveOutcome> SaveAsync(ForecastScenario scenario, Actor actor, long? expectedVersion, WriteOrigin origin);

    /// <summary>
    /// Deletes the named scenario at <paramref name="expectedVersion"/> (<see cref="ScenarioSaveStatus.Deleted"/>);
    /// NotFound when there is none, VersionRequired without a version, VersionConflict when it is not the stored one.
    /// </summary>
    [Alias("DeleteAt")]
    Task<ScenarioSaveOutcome> DeleteAsync(string name, Actor actor, long? expectedVersion);

    /// <summary>As <see cref="DeleteAsync(string, Actor, long?)"/>, the audit entry keeping <paramref name="origin"/>'s client address and request id.</summary>
    [Alias("DeleteFrom")]
    Task<ScenarioSaveOutcome> DeleteAsync(string name, Actor actor, long? expectedVersion, WriteOrigin origin);

    /// <summary>The scenarios' audit trail, newest first.</summary>
    [Alias("GetAudit")]
    Task<ImmutableArray<ScenarioAuditEntry>> GetAuditAsync();
}

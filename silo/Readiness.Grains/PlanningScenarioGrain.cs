using System.Collections.Immutable;
using Readiness.Planning;

namespace Readiness.Grains;

[GenerateSerializer, Alias("Readiness.Planning.ScenarioGrainState")]
public sealed class ScenarioGrainState
{
    [Id(0)] public ImmutableArray<ForecastScenario> Scenarios { get; set; } = [];
    [Id(1)] public ImmutableArray<ScenarioAuditEntry> Audit { get; set; } = [];

    /// <summary>The last version of each deleted scenario's name: a scenario made again under it goes on from there.</summary>
    [Id(2)] public ImmutableDictionary<string, long> Retired { get; set; } = ImmutableDictionary<string, long>.Empty;
}

/// <summary>
/// Keeps the national scenarios and their audit trail in one durable state: a save is acknowledged only after the
/// state (scenario and audit entry together) is written, so an acknowledged save is never lost nor unaudited.
/// </summary>
public sealed class PlanningScenarioGrain(
    [PersistentState("scenarios", ReadinessStorage.Name)] IPersistentState<ScenarioGrainState> state,
    TimeProvider time) : Grain, IScenarioGrain
{
    public const int MaxScenarios = 100;
    public const int MaxAudit = 1000;

    public Task<ImmutableArray<ForecastScenario>> GetAllAsync() => Task.FromResult(state.State.Scenarios);

    public Task<ImmutableArray<ScenarioAuditEntry>> GetAuditAsync() => Task.FromResult(state.State.Audit);

    // The overloads without an origin stay for a web node of the previous version during a rolling upgrade.
    public Task<ScenarioSaveOutcome> SaveAsync(ForecastScenario scenario, Actor actor, long? expectedVersion) =>
        SaveAsync(scenario, actor, expectedVersion, WriteOrigin.None);

    public Task<ScenarioSaveOutcome> DeleteAsync(string name, Actor actor, long? expectedVersion) =>
        DeleteAsync(name, actor, expectedVersion, WriteOrigin.None);

    public async Task<ScenarioSaveOutcome> SaveAsync(ForecastScenario scenario, Actor actor, long? expectedVersion, WriteOrigin origin)
    {
        var existing = state.State.Scenarios.FirstOrDefault(s => ScenarioRules.SameName(s.Name, scenario.Name)); // 「ＡＢＣ」 is "ABC"
        if (existing is null)
        {
            if (expectedVersion is not (null or 0))
            {
                return new ScenarioSaveOutcome(ScenarioSaveStatus.NotFound, null);
            }

            if (state.State.Scenarios.Length >= MaxScenarios)
            {
                throw new InvalidOperationException($"At most {MaxScenarios} scenarios.");
            }
        }
        else if (expectedVersion is not { } expected)
        {
            return new ScenarioSaveOutcome(ScenarioSaveStatus.VersionRequired, existing);
        }
        else if (expected != existing.Version)
        {
            return new ScenarioSaveOutcome(ScenarioSaveStatus.VersionConflict, existing);
        }
        else if (ScenarioRules.SameContent(existing, scenario))
        {
            return new ScenarioSaveOutcome(ScenarioSaveStatus.Unchanged, existing);
        }

        var now = time.GetUtcNow();
        var saved = scenario with { Version = (existing?.Version ?? LastVersionOf(scenario.Name)) + 1, SavedAt = now, SavedBy = actor };
        var entry = new ScenarioAuditEntry(now, actor, existing is null ? "create" : "update", saved.Name, saved.Version, ScenarioRules.DescribeChange(existing, saved))
        {
            ClientAddress = origin.ClientAddress,
            RequestId = origin.RequestId,
        };
        await WriteAsync(existing is null ? state.State.Scenarios.Add(saved) : state.State.Scenarios.Replace(existing, saved), entry);
        return new ScenarioSaveOutcome(existing is null ? ScenarioSaveStatus.Created : ScenarioSaveStatus.Saved, saved);
    }

    public async Task<ScenarioSaveOutcome> DeleteAsync(string name, Actor actor, long? expectedVersion, WriteOrigin origin)
    {
        var existing = state.State.Scenarios.FirstOrDefault(s => ScenarioRules.SameName(s.Name, name));
        if (existing is null)
        {
            return new ScenarioSaveOutcome(ScenarioSaveStatus.NotFound, null);
        }

        if (expectedVersion is not { } expected)
        {
            return new ScenarioSaveOutcome(ScenarioSaveStatus.VersionRequired, existing);
        }

        if (expected != existing.Version)
        {
            return new ScenarioSaveOutcome(ScenarioSaveStatus.VersionConflict, existing);
        }

        var entry = new ScenarioAuditEntry(time.GetUtcNow(), actor, "delete", existing.Name, existing.Version, ScenarioRules.DescribeChange(null, existing))
        {
            ClientAddress = origin.ClientAddress,
            RequestId = origin.RequestId,
        };
        await WriteAsync(state.State.Scenarios.Remove(existing), entry, state.State.Retired.SetItem(existing.Name, existing.Version));
        return new ScenarioSaveOutcome(ScenarioSaveStatus.Deleted, existing);
    }

    /// <summary>
    /// The highest version the name ever had (0 for a name never used). A version is never given twice to one name:
    /// when a deleted scenario's name began again at 1, a colleague's stale version 1 replaced the new scenario unseen
    /// (ABA), and forecasts cached by name and version served the deleted one's figures (breaker, round 24).
    /// </summary>
    private long LastVersionOf(string name) => Math.Max(
        state.State.Retired.Where(r => ScenarioRules.SameName(r.Key, name)).Select(r => r.Value).DefaultIfEmpty(0).Max(),
        state.State.Audit.Where(a => ScenarioRules.SameName(a.Name, name)).Select(a => a.Version).DefaultIfEmpty(0).Max()); // deletions before Retired was kept


    /// <summary>The scenarios and the audit entry in one write; on failure the state is as before and the caller sees the error.</summary>
    private async Task WriteAsync(ImmutableArray<ForecastScenario> scenarios, ScenarioAuditEntry entry, ImmutableDictionary<string, long>? retired = null)
    {
        var previous = (state.State.Scenarios, state.State.Audit, state.State.Retired);
        state.State.Scenarios = scenarios;
        state.State.Audit = Trim(state.State.Audit.Insert(0, entry));
        state.State.Retired = retired ?? state.State.Retired;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            (state.State.Scenarios, state.State.Audit, state.State.Retired) = previous;
            throw;
        }
    }

    private static ImmutableArray<ScenarioAuditEntry> Trim(ImmutableArray<ScenarioAuditEntry> audit) =>
        audit.Length > MaxAudit ? audit.RemoveRange(MaxAudit, audit.Length - MaxAudit) : audit;
}

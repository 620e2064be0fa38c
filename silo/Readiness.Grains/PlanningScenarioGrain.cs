using System.Collections.Immutable;
using Readiness.Planning;

namespace Readiness.Grains;

[GenerateSerializer, Alias("Readiness.Planning.ScenarioGrainState")]
public sealed class ScenarioGrainState
{
    [Id(0)] public ImmutableArray<ForecastScenario> Scenarios { get; set; } = [];
    [Id(1)] public ImmutableArray<ScenarioAuditEntry> Audit { get; set; } = [];
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

    public async Task<ScenarioSaveOutcome> SaveAsync(ForecastScenario scenario, Actor actor, long? expectedVersion)
    {
        var existing = state.State.Scenarios.FirstOrDefault(s => s.Name == scenario.Name);
        if (expectedVersion is { } expected && expected != (existing?.Version ?? 0))
        {
            return new ScenarioSaveOutcome(ScenarioSaveStatus.VersionConflict, existing);
        }

        if (existing is null && state.State.Scenarios.Length >= MaxScenarios)
        {
            throw new InvalidOperationException($"At most {MaxScenarios} scenarios.");
        }

        var now = time.GetUtcNow();
        var saved = scenario with { Version = (existing?.Version ?? 0) + 1, SavedAt = now, SavedBy = actor };
        var previous = (state.State.Scenarios, state.State.Audit);
        state.State.Scenarios = existing is null ? state.State.Scenarios.Add(saved) : state.State.Scenarios.Replace(existing, saved);
        state.State.Audit = Trim(state.State.Audit.Insert(0, new ScenarioAuditEntry(now, actor, existing is null ? "create" : "update", saved.Name, saved.Version, ScenarioRules.Describe(saved))));
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            (state.State.Scenarios, state.State.Audit) = previous;
            throw;
        }

        return new ScenarioSaveOutcome(ScenarioSaveStatus.Saved, saved);
    }

    public async Task<bool> DeleteAsync(string name, Actor actor)
    {
        var existing = state.State.Scenarios.FirstOrDefault(s => s.Name == name);
        if (existing is null)
        {
            return false;
        }

        var previous = (state.State.Scenarios, state.State.Audit);
        state.State.Scenarios = state.State.Scenarios.Remove(existing);
        state.State.Audit = Trim(state.State.Audit.Insert(0, new ScenarioAuditEntry(time.GetUtcNow(), actor, "delete", name, existing.Version, ScenarioRules.Describe(existing))));
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            (state.State.Scenarios, state.State.Audit) = previous;
            throw;
        }

        return true;
    }

    private static ImmutableArray<ScenarioAuditEntry> Trim(ImmutableArray<ScenarioAuditEntry> audit) =>
        audit.Length > MaxAudit ? audit.RemoveRange(MaxAudit, audit.Length - MaxAudit) : audit;
}

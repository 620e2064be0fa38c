using Readiness.Rules;

namespace Readiness.Grains;

/// <summary>What a municipality starts from when it has no stored state yet.</summary>
public interface IMunicipalitySeed
{
    MunicipalityRecord Create(string code, DateTimeOffset now);
}

/// <summary>The public baseline (PMO steps 2026-01, designations 2025-12); the default.</summary>
public sealed class PublicBaselineSeed : IMunicipalitySeed
{
    public MunicipalityRecord Create(string code, DateTimeOffset now) => Baseline.Create(code, now);
}

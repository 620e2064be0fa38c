namespace Readiness.Grains;

public static class ReadinessStorage
{
    /// <summary>The grain storage provider every Readiness grain writes to.</summary>
    public const string Name = "readiness";
}

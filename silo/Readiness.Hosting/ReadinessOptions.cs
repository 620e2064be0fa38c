namespace Readiness.Hosting;

public enum HostingMode
{
    /// <summary>One process: the web host co-hosts a silo; grain state in a SQLite file.</summary>
    Embedded,

    /// <summary>Silos on PostgreSQL (ADO.NET clustering, storage, reminders); web nodes are clients.</summary>
    Cluster,
}

public enum SeedMode
{
    /// <summary>Start every municipality from the public baseline.</summary>
    Baseline,

    /// <summary>Start every municipality from seeded synthetic data (labelled synthetic).</summary>
    Demo,
}

/// <summary>The "Readiness" configuration section (environment: Readiness__Mode, Readiness__DataPath, ...).</summary>
public sealed class ReadinessOptions
{
    public const string Section = "Readiness";

    public HostingMode Mode { get; set; } = HostingMode.Embedded;

    /// <summary>Embedded mode: where the SQLite file lives. Default: the user's local data folder.</summary>
    public string? DataPath { get; set; }

    public SeedMode Seed { get; set; } = SeedMode.Baseline;

    public int DemoSeed { get; set; } = 20260331;

    /// <summary>Cluster mode: the PostgreSQL connection string.</summary>
    public string? ConnectionString { get; set; }

    public string ClusterId { get; set; } = "readiness";

    public string ServiceId { get; set; } = "readiness";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>Cluster mode: the address other silos and clients reach this silo at (default 127.0.0.1, one machine).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Aggregate reconciliation interval.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Warm the nation (and with it every municipality) as soon as the silo starts.</summary>
    public bool WarmUp { get; set; } = true;

    public string ResolveDataPath() =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(DataPath)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "readiness")
            : DataPath);
}

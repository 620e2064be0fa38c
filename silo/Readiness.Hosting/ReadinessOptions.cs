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

    /// <summary>
    /// How long a write waits for SQLite's lock (held by another process: a backup tool, a sqlite3 shell) before it,
    /// and every write queued behind it, answers 503 with Retry-After instead of holding the request. Default 5 s.
    /// </summary>
    public TimeSpan StorageLockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Readiness fails while the data folder's file system has less free space than this. Default 64 MB.</summary>
    public long MinimumFreeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Scheduled online backups (embedded mode); off unless <see cref="BackupOptions.Interval"/> is set.</summary>
    public BackupOptions Backup { get; set; } = new();

    /// <summary>The Orleans Dashboard at /admin/orleans, for administrators only.</summary>
    public bool OrleansDashboard { get; set; } = true;

    /// <summary>
    /// Cluster silos in Kubernetes: silo name, address and cluster identity from the pod (POD_NAME, POD_NAMESPACE,
    /// POD_IP, ORLEANS_CLUSTER_ID, ORLEANS_SERVICE_ID; Microsoft.Orleans.Hosting.Kubernetes), membership on PostgreSQL.
    /// </summary>
    public bool Kubernetes { get; set; }

    /// <summary>
    /// Warm the nation and its prefectures as soon as the silo starts. They read the municipalities' stored states; a
    /// municipality with none stored yet (a new installation) is activated and seeded on the way.
    /// </summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>One message per value the product cannot work with (a time of zero or less, a backup count below 1); empty when none.</summary>
    public IEnumerable<string> Problems() =>
        OptionsProblems.LongerThanZero(Section, (nameof(ReconcileInterval), ReconcileInterval), (nameof(StorageLockTimeout), StorageLockTimeout))
            .Concat(OptionsProblems.AtLeast(Section, 0, (nameof(MinimumFreeBytes), MinimumFreeBytes)))
            .Concat(OptionsProblems.NotNegative(Section + ":Backup", (nameof(BackupOptions.Interval), Backup.Interval ?? TimeSpan.Zero)))
            .Concat(OptionsProblems.AtLeast(Section + ":Backup", 1, (nameof(BackupOptions.Retain), Backup.Retain)))
            .Concat(ListenPorts.Problems(($"{Section}:{nameof(SiloPort)}", SiloPort), ($"{Section}:{nameof(GatewayPort)}", GatewayPort)))
            .Concat(string.IsNullOrWhiteSpace(AdvertisedAddress) || System.Net.IPAddress.TryParse(AdvertisedAddress, out _)
                ? Array.Empty<string>()
                : new[] { OptionsProblems.Setting($"{Section}:{nameof(AdvertisedAddress)}", AdvertisedAddress, "IP アドレスを指定してください（例 10.0.0.11）", "must be an IP address (e.g. 10.0.0.11).") });

    public string ResolveDataPath() =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(DataPath)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "readiness")
            : DataPath);
}

/// <summary>The "Readiness:Backup" section: scheduled online backups of the embedded SQLite database.</summary>
public sealed class BackupOptions
{
    /// <summary>Time between scheduled backups (e.g. "1.00:00:00" for daily); null or zero: no scheduled backups.</summary>
    public TimeSpan? Interval { get; set; }

    /// <summary>Where backups are written. Default: {data folder}/backups.</summary>
    public string? Path { get; set; }

    /// <summary>How many scheduled backups to keep (oldest removed first). Default 7.</summary>
    public int Retain { get; set; } = 7;

    public string ResolvePath(ReadinessOptions options) =>
        System.IO.Path.GetFullPath(string.IsNullOrWhiteSpace(Path) ? System.IO.Path.Combine(options.ResolveDataPath(), "backups") : Path);
}

namespace Readiness;

/// <summary>The migration phase model of migration_phases.csv; the numeric value is the phase order.</summary>
public enum MigrationPhase
{
    NotStarted = 0,
    ProjectSetup = 1,
    CurrentSystemSurvey = 2,
    FitGap = 3,
    MigrationPlan = 4,
    Procurement = 5,
    Contract = 6,
    BuildAndDataMigration = 7,
    Testing = 8,
    InProduction = 9,
    LegacyDecommissioned = 10,
}

public enum HostingKind
{
    GovernmentCloud,
    OtherCloud,
    OnPremises,
}

/// <summary>
/// The Government Cloud's certified cloud service providers (CSP, ガバメントクラウド対象クラウドサービス), the fixed list a
/// system's <c>cloudProvider</c> is validated against. Source: the Digital Agency's selections of ガバメントクラウド
/// services (FY2021–FY2023 public calls): Amazon Web Services, Google Cloud, Microsoft Azure, Oracle Cloud
/// Infrastructure, and さくらのクラウド (selected with conditions, to be met by the end of FY2025). Wire names are the
/// snake_case of the members (aws, microsoft_azure, google_cloud, oracle_cloud_infrastructure, sakura_cloud).
/// </summary>
public enum CloudProvider
{
    Aws,
    MicrosoftAzure,
    GoogleCloud,
    OracleCloudInfrastructure,
    SakuraCloud,
}

/// <summary>Why a system is a 特定移行支援システム.</summary>
public enum DesignationReason
{
    Mainframe,
    CustomBuilt,
    NoStandardProduct,
    VendorCapacity,
    Other,
}

public enum SecurityStatus
{
    NotAssessed,
    NotImplemented,
    Partial,
    Implemented,
    NotApplicable,
}

/// <summary>Where a municipality's current figures came from.</summary>
public enum DataOrigin
{
    /// <summary>The published PMO step completion and designation lists; nothing invented.</summary>
    PublicBaseline,

    /// <summary>Bogus-generated demo data; always labelled synthetic.</summary>
    Synthetic,

    /// <summary>
    /// The municipality's own report: never a record's stored provenance, only what a view says of figures the
    /// municipality reported over its starting data (<see cref="Rules.ReadinessRules.OriginOf(DataOrigin, DateTimeOffset?)"/>).
    /// </summary>
    MunicipalityReport,
}

public enum Role
{
    Municipality,
    Prefecture,
    National,
    Admin,
    System,
}

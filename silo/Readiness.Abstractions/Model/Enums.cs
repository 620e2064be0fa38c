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
}

public enum Role
{
    Municipality,
    Prefecture,
    National,
    Admin,
    System,
}

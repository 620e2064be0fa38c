namespace Readiness.Planning;

/// <summary>
/// The documented priors the forecast falls back to where the product's own history is thin. All are this product's
/// proposal (labelled so in docs/forecast.md), not published figures; they are shrunk towards the history with a
/// weight of <see cref="PriorStrength"/> pseudo-observations, so a few hundred real phase moves override them.
/// <para>
/// Phase durations (months spent in a phase before moving on) follow the three phases of the Digital Agency's
/// 地方公共団体情報システムの標準化に関する手順書 — 計画立案 (our phases 1–4), システム選定 (5–6) and 移行 (7–8) — which
/// the original national roadmap scheduled at roughly one year each for planning and selection and one to one and a
/// half years for migration (about 3 years from start to go-live). Medians below add up to 36 months for a system
/// that has not started. Each phase is log-normal with log-σ 0.6 (a 90 % range of about ×0.37 to ×2.7 the median).
/// </para>
/// <para>
/// Designated systems (特定移行支援システム) were given "about five years" instead of about three (domain.md), and their
/// delays sit in selection and migration (vendor capacity, mainframe, custom-built): the prior multiplies the medians of
/// phases 5–8 by <see cref="DesignatedSlowdown"/>.
/// </para>
/// <para>
/// Slippage of plans (actual − planned go-live, months) is normal. At the end of January 2026 only 38.4 % of systems
/// were migrated against a 2026-03-31 target (domain.md), i.e. plans slipped widely, hence a positive mean.
/// </para>
/// </summary>
public static class ForecastPriors
{
    /// <summary>Weight of a prior, in pseudo-observations.</summary>
    public const double PriorStrength = 10;

    /// <summary>Log-σ of every phase duration prior.</summary>
    public const double PhaseLogSigma = 0.6;

    /// <summary>Multiplier of the prior medians of phases procurement..testing for designated systems.</summary>
    public const double DesignatedSlowdown = 1.6;

    /// <summary>Prior slip of a reported planned go-live: mean months (actual − planned).</summary>
    public const double PlanSlipMeanMonths = 3;

    /// <summary>Prior standard deviation of a planned go-live's slip, months.</summary>
    public const double PlanSlipSdMonths = 4;

    /// <summary>Prior slip of a designation's own target date: mean months.</summary>
    public const double TargetSlipMeanMonths = 3;

    /// <summary>Prior standard deviation of a designation target's slip, months.</summary>
    public const double TargetSlipSdMonths = 6;

    /// <summary>A vendor's capacity is estimated from history only when it had at least this many go-lives in the window.</summary>
    public const int MinGoLivesForCapacity = 3;

    /// <summary>The window of history (months before the as-of month) a vendor's capacity is estimated from.</summary>
    public const int CapacityWindowMonths = 12;

    /// <summary>Median months spent in each phase 0..8 (not_started .. testing) by a system that is not designated.</summary>
    public static ReadOnlySpan<double> PhaseMedianMonths => [3, 2, 3, 4, 3, 6, 2, 9, 4];

    /// <summary>The prior (median months, log-σ) of a phase for a stratum.</summary>
    public static (double MedianMonths, double LogSigma) Phase(MigrationPhase phase, bool designated)
    {
        var median = PhaseMedianMonths[(int)phase];
        if (designated && phase >= MigrationPhase.Procurement)
        {
            median *= DesignatedSlowdown;
        }

        return (median, PhaseLogSigma);
    }
}

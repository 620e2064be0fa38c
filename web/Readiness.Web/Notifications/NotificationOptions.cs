using Readiness.Hosting;

namespace Readiness.Web.Notifications;

/// <summary>The "Readiness:Notifications" section (env Readiness__Notifications__MaxAttempts, ...). Every value has a default.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Readiness:Notifications";

    /// <summary>False turns the dispatcher off (nothing is derived or delivered; the outbox keeps what it has).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the dispatcher looks for new audit rows and due deliveries when idle.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Audit rows read per transaction.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Failed attempts after which a delivery is dead (listed for administrators, retried only by them).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failure; doubled per failure up to <see cref="RetryCap"/>.</summary>
    public TimeSpan RetryFirst { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryCap { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How long a node owns a delivery it is sending (another node takes it over after that).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>At most this many immediate mails per person per hour; more are held for the person's next digest.</summary>
    public int MaxMailsPerHour { get; set; } = 30;

    /// <summary>PostgreSQL only: audit positions re-read behind the stored one (identity values may commit out of order).</summary>
    public int PositionLookback { get; set; } = 1000;

    /// <summary>The weekly digest's day and time (JST).</summary>
    public DayOfWeek DigestDay { get; set; } = DayOfWeek.Monday;

    public TimeOnly DigestTime { get; set; } = new(8, 0);

    /// <summary>How often the Orleans reminder checks whether a digest is due (Orleans allows one minute at least).</summary>
    public TimeSpan ScheduleInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// National thresholds (events for national staff): the national share of applicable systems migrated, 0..1,
    /// comma-separated; an event when the share rises to or past one of them between two scans.
    /// </summary>
    public string NationalMigratedShareThresholds { get; set; } = "0.25,0.5,0.75,0.9,1";

    /// <summary>National thresholds: the number of overdue systems nationwide, comma-separated; an event when it rises to or past one.</summary>
    public string NationalOverdueThresholds { get; set; } = "1000,5000,10000,20000,30000";

    /// <summary>
    /// One message per value the dispatcher and the schedule cannot work with, naming the setting and the value in
    /// Japanese and English (they were one English sentence for all of them); empty when none. A schedule interval or
    /// lease of zero or less failed the dispatcher's timers after start.
    /// </summary>
    public IEnumerable<string> Problems()
    {
        var problems = OptionsProblems.AtLeast(Section, 1, (nameof(MaxAttempts), MaxAttempts), (nameof(BatchSize), BatchSize))
            .Concat(OptionsProblems.AtLeast(Section, 0, (nameof(MaxMailsPerHour), MaxMailsPerHour), (nameof(PositionLookback), PositionLookback)))
            .Concat(OptionsProblems.LongerThanZero(Section, (nameof(PollInterval), PollInterval), (nameof(RetryFirst), RetryFirst), (nameof(Lease), Lease), (nameof(ScheduleInterval), ScheduleInterval)));
        if (RetryFirst > TimeSpan.Zero && RetryCap < RetryFirst)
        {
            problems = problems.Append(OptionsProblems.Setting($"{Section}:{nameof(RetryCap)}", RetryCap,
                $"{Section}:{nameof(RetryFirst)}（{RetryFirst}）以上を指定してください", $"must be at least {Section}:{nameof(RetryFirst)} ({RetryFirst})."));
        }

        foreach (var (name, value) in new[] { (nameof(NationalMigratedShareThresholds), NationalMigratedShareThresholds), (nameof(NationalOverdueThresholds), NationalOverdueThresholds) })
        {
            if (!TryParseThresholds(value, out _))
            {
                problems = problems.Append(OptionsProblems.Setting($"{Section}:{name}", value,
                    "数をカンマ区切りで指定してください（例 0.25,0.5,0.75）", "must be numbers, comma-separated (e.g. 0.25,0.5,0.75)."));
            }
        }

        return problems;
    }

    /// <summary>A comma-separated list of numbers (invariant culture); entries that are not numbers are refused at start-up.</summary>
    public static bool TryParseThresholds(string? text, out System.Collections.Immutable.ImmutableArray<double> thresholds)
    {
        var values = new List<double>();
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                thresholds = [];
                return false;
            }

            values.Add(value);
        }

        thresholds = [.. values.Distinct().Order()];
        return true;
    }
}

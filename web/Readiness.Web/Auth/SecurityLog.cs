using System.Diagnostics.Metrics;
using System.Text;
using Readiness.Rules;

namespace Readiness.Web.Auth;

/// <summary>
/// Refused requests (authentication, authorization, validation, conflicts, rate limits) as structured log events in
/// the "Readiness.Security" category, and a counter by reason. Accepted changes go to the audit trail instead.
/// </summary>
public sealed class SecurityLog
{
    public const string Category = "Readiness.Security";

    private readonly ILogger logger;
    private readonly Counter<long> refused;
    private readonly TimeProvider time;
    private readonly RepeatedRefusals repeated = new(TimeSpan.FromMinutes(1));

    public SecurityLog(ILoggerFactory loggers, IMeterFactory meters, TimeProvider time)
    {
        this.time = time;
        logger = loggers.CreateLogger(Category);
        refused = meters.Create(Grains.ReadinessMetrics.MeterName).CreateCounter<long>(
            "readiness.security.refused", description: "Requests refused: authentication, authorization, validation, conflicts, rate limits");
    }

    /// <summary>A write refused by <see cref="Api.ReportingService"/> (also used by the dashboard, without an HTTP request at hand).</summary>
    public void RefusedWrite(ReadinessCaller? caller, string code, string reason, string detail, string? clientAddress)
    {
        refused.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("status", 0));
        logger.LogWarning(
            "Refused write {Reason} for {Code}: {Detail} (subject {Subject}, role {Role}, tenant {Tenant}, client {ClientAddress}, trace {TraceId})",
            reason, Printable(code), Printable(detail), caller?.Subject, caller is null ? null : Wire.Name(caller.Role), caller?.Tenant, clientAddress,
            System.Diagnostics.Activity.Current?.TraceId.ToString());
    }

    /// <param name="reason">A short fixed word (unauthenticated, forbidden, invalid, conflict, rate_limited, ...): a metric tag.</param>
    public void Refused(HttpContext http, ReadinessCaller? caller, string reason, int status, string detail)
    {
        refused.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("status", status));

        // A client over its rate limit is refused on every request it sends: one line a minute for it, naming how many
        // were not written (operator's finding: 5,842 lines in 6 s from one client). The counter above counts every one.
        if (reason == "rate_limited")
        {
            var who = caller?.Subject ?? http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (!repeated.Admit(who, time.GetUtcNow(), out var notWritten))
            {
                return;
            }

            if (notWritten > 0)
            {
                detail = $"{detail}; {notWritten} more refused in the last minute not written";
            }
        }

        logger.LogWarning(
            "Refused {Reason} {Status} {Method} {Path}: {Detail} (subject {Subject}, role {Role}, tenant {Tenant}, client {ClientAddress}, trace {TraceId})",
            reason, status, http.Request.Method, Printable(http.Request.Path.Value), Printable(detail),
            caller?.Subject ?? Printable(http.User.FindFirst("sub")?.Value), caller is null ? null : Wire.Name(caller.Role), caller?.Tenant,
            http.Connection.RemoteIpAddress?.ToString(), System.Diagnostics.Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier);
    }

    /// <summary>
    /// A value as a log line may hold it: what a refused request brought (a subject, a path, a detail quoting input) can
    /// carry line breaks that would forge a log line, a NUL, or characters that hide or reorder text. Those are written
    /// as \uXXXX, and a value past <paramref name="max"/> characters is cut with "…".
    /// </summary>
    public static string? Printable(string? value, int max = 500)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length <= max && !value.Contains('\\', StringComparison.Ordinal) && FreeText.Check(value, multiline: false).Fault == FreeTextFault.None)
        {
            return value;
        }

        var text = new StringBuilder(Math.Min(value.Length, max) + 16);
        var i = 0;
        for (; i < value.Length && text.Length < max; i++)
        {
            var c = value[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
            var one = pair ? value.Substring(i, 2) : c.ToString();
            if (c == '\\')
            {
                text.Append(@"\\");
            }
            else if (FreeText.Check(one, multiline: false).Fault != FreeTextFault.None)
            {
                foreach (var unit in one)
                {
                    text.Append(@"\u").Append(((int)unit).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                text.Append(one);
            }

            if (pair)
            {
                i++;
            }
        }

        return i < value.Length ? text.Append('…').ToString() : text.ToString();
    }
}

/// <summary>
/// Which of a stream of like refusals to write: the first for a key, then none until <paramref name="window"/> has passed
/// since the last one written, which then says how many were not written. Holds at most 10,000 keys: past it, the keys
/// whose window has passed go first (their next refusal would be written anyway, with its count: only that count is
/// lost); only when 10,000 keys are all within their window (a flood from that many addresses in one window) is
/// everything dropped, the safe side (each then writes a line again).
/// </summary>
public sealed class RepeatedRefusals(TimeSpan window)
{
    private const int MaxKeys = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>How many keys are held (at most 10,000).</summary>
    public int Count => entries.Count;

    /// <summary>True when this refusal is to be written; <paramref name="notWritten"/>: those of the key not written since the last line.</summary>
    public bool Admit(string key, DateTimeOffset now, out int notWritten)
    {
        notWritten = 0;
        if (entries.Count >= MaxKeys && !entries.ContainsKey(key))
        {
            Evict(now);
        }

        var entry = entries.GetOrAdd(key, _ => new Entry());
        lock (entry)
        {
            if (entry.Written is { } last && now - last < window)
            {
                entry.NotWritten++;
                return false;
            }

            notWritten = entry.NotWritten;
            entry.Written = now;
            entry.NotWritten = 0;
            return true;
        }
    }

    private void Evict(DateTimeOffset now)
    {
        foreach (var (key, entry) in entries)
        {
            bool passed;
            lock (entry)
            {
                passed = entry.Written is not { } last || now - last >= window;
            }

            if (passed)
            {
                entries.TryRemove(key, out _);
            }
        }

        if (entries.Count >= MaxKeys)
        {
            entries.Clear();
        }
    }

    private sealed class Entry
    {
        public DateTimeOffset? Written { get; set; }

        public int NotWritten { get; set; }
    }
}

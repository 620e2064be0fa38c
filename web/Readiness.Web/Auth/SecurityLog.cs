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

    public SecurityLog(ILoggerFactory loggers, IMeterFactory meters)
    {
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

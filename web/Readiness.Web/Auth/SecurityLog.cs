using System.Diagnostics.Metrics;

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
            reason, code, detail, caller?.Subject, caller is null ? null : Wire.Name(caller.Role), caller?.Tenant, clientAddress,
            System.Diagnostics.Activity.Current?.TraceId.ToString());
    }

    /// <param name="reason">A short fixed word (unauthenticated, forbidden, invalid, conflict, rate_limited, ...): a metric tag.</param>
    public void Refused(HttpContext http, ReadinessCaller? caller, string reason, int status, string detail)
    {
        refused.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("status", status));
        logger.LogWarning(
            "Refused {Reason} {Status} {Method} {Path}: {Detail} (subject {Subject}, role {Role}, tenant {Tenant}, client {ClientAddress}, trace {TraceId})",
            reason, status, http.Request.Method, http.Request.Path.Value, detail,
            caller?.Subject ?? http.User.FindFirst("sub")?.Value, caller is null ? null : Wire.Name(caller.Role), caller?.Tenant,
            http.Connection.RemoteIpAddress?.ToString(), System.Diagnostics.Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier);
    }
}

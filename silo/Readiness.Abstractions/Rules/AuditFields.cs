using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Readiness.Rules;

/// <summary>
/// What the audit trail records of a target: every field as field → value (never a joined text, so no value can pose
/// as another field), and its one serialised form, a JSON object in a fixed field order, for the audit table, the
/// API and CSV. Pure.
/// </summary>
public static class AuditFields
{
    /// <summary>The key a legacy entry's whole "key=value; …" text is served under (see <see cref="ChangeEntry.Before"/>).</summary>
    public const string LegacyText = "legacyText";

    /// <summary>A system's fields, named as in the API's system view.</summary>
    public static ImmutableArray<AuditField> Of(SystemStatus s) =>
    [
        new("phase", Wire.Name(s.Phase)),
        new("notApplicable", Flag(s.NotApplicable), IsFlag: true),
        new("plannedGoLive", Date(s.PlannedGoLive)),
        new("vendor", s.Vendor),
        new("hosting", s.Hosting is { } h ? Wire.Name(h) : null),
        new("designated", Flag(s.Designated), IsFlag: true),
        new("designationReason", s.DesignationReason is { } r ? Wire.Name(r) : null),
        new("designationTarget", Date(s.DesignationTarget)),
        new("regression", Flag(s.Regression), IsFlag: true),
        new("regressionReason", s.RegressionReason),
        new("cloudProvider", s.CloudProvider is { } p ? Wire.Name(p) : null),
    ];

    /// <summary>A checklist item's fields, named as in the API's security item view.</summary>
    public static ImmutableArray<AuditField> Of(SecurityItemStatus s) =>
    [
        new("status", Wire.Name(s.Status)),
        new("lastReviewed", Date(s.LastReviewed)),
        new("evidence", s.Evidence),
    ];

    /// <summary>The fields as one JSON object (strings, booleans, null), in their order; null for no fields.</summary>
    public static string? ToJson(ImmutableArray<AuditField> fields) =>
        fields.IsDefaultOrEmpty ? null : Encoding.UTF8.GetString(Write(fields));

    /// <summary>
    /// <see cref="ToJson"/> as its UTF-8 bytes (one exact-size array; null for no fields): what the audit table stores,
    /// without a UTF-16 string in between that the database driver would encode again.
    /// </summary>
    public static byte[]? ToUtf8Json(ImmutableArray<AuditField> fields) =>
        fields.IsDefaultOrEmpty ? null : Write(fields).ToArray();

    /// <summary>The JSON object in this thread's buffer, valid until the thread's next call.</summary>
    private static ReadOnlySpan<byte> Write(ImmutableArray<AuditField> fields)
    {
        // One buffer and writer per thread, reset for each call: the audit writes two of these per row, and a step
        // detail import writes 34,820 rows.
        var (buffer, json) = writer ??= CreateWriter();
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        json.WriteStartObject();
        foreach (var f in fields)
        {
            if (f.Value is null)
            {
                json.WriteNull(f.Name);
            }
            else if (f.IsFlag)
            {
                json.WriteBoolean(f.Name, f.Value == "true");
            }
            else
            {
                json.WriteString(f.Name, f.Value);
            }
        }

        json.WriteEndObject();
        json.Flush();
        return buffer.WrittenSpan;
    }

    [ThreadStatic]
    private static (System.Buffers.ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Json)? writer;

    private static (System.Buffers.ArrayBufferWriter<byte>, Utf8JsonWriter) CreateWriter()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        return (buffer, new Utf8JsonWriter(buffer, WriterOptions));
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote; empty for null. Throws <see cref="JsonException"/> for anything else.</summary>
    public static ImmutableArray<AuditField> FromJson(string? text)
    {
        if (text is null)
        {
            return [];
        }

        using var document = JsonDocument.Parse(text);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("An audit side must be a JSON object.");
        }

        var fields = ImmutableArray.CreateBuilder<AuditField>();
        foreach (var p in document.RootElement.EnumerateObject())
        {
            fields.Add(p.Value.ValueKind switch
            {
                JsonValueKind.Null => new AuditField(p.Name, null),
                JsonValueKind.True => new AuditField(p.Name, "true", IsFlag: true),
                JsonValueKind.False => new AuditField(p.Name, "false", IsFlag: true),
                JsonValueKind.String => new AuditField(p.Name, p.Value.GetString()),
                _ => throw new JsonException($"Audit field '{p.Name}' must be a string, a boolean or null."),
            });
        }

        return fields.ToImmutable();
    }

    /// <summary>
    /// One side of an entry as served: its fields, or for a legacy entry its text under <see cref="LegacyText"/>; null
    /// when there is nothing (e.g. the "before" of a first report).
    /// </summary>
    public static ImmutableArray<AuditField> Side(ImmutableArray<AuditField> fields, string? legacy) =>
        !fields.IsDefaultOrEmpty ? fields : legacy is null ? [] : [new AuditField(LegacyText, legacy)];

    /// <summary>The fields of <paramref name="after"/> whose value differs from <paramref name="before"/> (all of them when before is empty).</summary>
    public static ImmutableArray<AuditField> Changed(ImmutableArray<AuditField> before, ImmutableArray<AuditField> after)
    {
        if (after.IsDefaultOrEmpty)
        {
            return [];
        }

        if (before.IsDefaultOrEmpty)
        {
            return after;
        }

        return [.. after.Where(a => !before.Any(b => b.Name == a.Name && b.Value == a.Value))];
    }

    // Japanese stays readable in the table and in CSV; the quote, the backslash and controls are still escaped.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Flag(bool value) => value ? "true" : "false";

    private static string? Date(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

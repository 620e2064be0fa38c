using System.Buffers;
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

    /// <summary>
    /// A flag only on the after side of a report that moved a phase below an estimate the municipality never reported
    /// (<see cref="PhaseMove.EstimateCorrected"/>): the lower phase corrected the estimate, it is no regression.
    /// </summary>
    public const string EstimateCorrected = "estimateCorrected";

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
        new("designationReasonNote", s.DesignationReasonNote),
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

    /// <summary>
    /// Appends <see cref="ToUtf8Json"/>'s bytes to <paramref name="output"/> (nothing for no fields); returns their
    /// count, -1 for no fields (stored as NULL). For writers that keep many sides in one buffer (the audit rows of a change).
    /// </summary>
    public static int WriteUtf8Json(ImmutableArray<AuditField> fields, IBufferWriter<byte> output)
    {
        if (fields.IsDefaultOrEmpty)
        {
            return -1;
        }

        var json = Write(fields);
        output.Write(json);
        return json.Length;
    }

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
        if (!JsonAstral.MayHaveEscapedPairs(buffer.WrittenSpan))
        {
            return buffer.WrittenSpan;
        }

        // An emoji or a surrogate-pair kanji (𠮷) written as itself, not as the encoder's \uD842\uDFB7.
        var astral = astralBuffer ??= new System.Buffers.ArrayBufferWriter<byte>(1024);
        astral.ResetWrittenCount();
        JsonAstral.Unescape(buffer.WrittenSpan, astral);
        return astral.WrittenSpan;
    }

    [ThreadStatic]
    private static (System.Buffers.ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Json)? writer;

    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? astralBuffer;

    private static (System.Buffers.ArrayBufferWriter<byte>, Utf8JsonWriter) CreateWriter()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        return (buffer, new Utf8JsonWriter(buffer, WriterOptions));
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote; empty for null. Throws <see cref="JsonException"/> for anything else.</summary>
    public static ImmutableArray<AuditField> FromJson(string? text) => FromJson(text, default);

    /// <summary><see cref="FromJson(string?)"/> keeping only the fields named in <paramref name="only"/> (all when default), as <see cref="FromUtf8Json(ReadOnlySpan{byte}, ImmutableArray{string})"/>.</summary>
    public static ImmutableArray<AuditField> FromJson(string? text, ImmutableArray<string> only)
    {
        if (text is null)
        {
            return [];
        }

        // Read straight from UTF-8 (no document): the notification dispatcher reads both sides of every system row a
        // deadline rush writes, some 35,000 a second.
        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = most > 1024 ? ArrayPool<byte>.Shared.Rent(most) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[1024];
            return FromUtf8(utf8[..Encoding.UTF8.GetBytes(text, utf8)], only);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// <see cref="FromJson"/> from the UTF-8 bytes <see cref="ToUtf8Json"/> wrote (as SQLite hands back a text column's
    /// bytes), without a UTF-16 string in between. Throws <see cref="JsonException"/> for anything but such an object.
    /// </summary>
    public static ImmutableArray<AuditField> FromUtf8Json(ReadOnlySpan<byte> json) => FromUtf8(json);

    /// <summary>
    /// <see cref="FromUtf8Json(ReadOnlySpan{byte})"/> keeping only the fields named in <paramref name="only"/> (in the
    /// side's order), for a reader that judges a few of them: the others' values are checked as scalars but never
    /// turned into strings. A value that is one of the known enum wire names (a phase, a reason) is the one shared string.
    /// Throws <see cref="JsonException"/> as the whole read does.
    /// </summary>
    public static ImmutableArray<AuditField> FromUtf8Json(ReadOnlySpan<byte> json, ImmutableArray<string> only) => FromUtf8(json, only);

    private static ImmutableArray<AuditField> FromUtf8(ReadOnlySpan<byte> json, ImmutableArray<string> only = default)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An audit side must be a JSON object.");
        }

        var fields = ImmutableArray.CreateBuilder<AuditField>(only.IsDefault ? KnownNames.Length : only.Length);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = KnownName(ref reader) ?? reader.GetString()!;
            reader.Read();
            if (reader.TokenType is not (JsonTokenType.Null or JsonTokenType.True or JsonTokenType.False or JsonTokenType.String))
            {
                throw new JsonException($"Audit field '{name}' must be a string, a boolean or null.");
            }

            if (!only.IsDefault && !only.Contains(name))
            {
                continue;
            }

            fields.Add(reader.TokenType switch
            {
                JsonTokenType.Null => new AuditField(name, null),
                JsonTokenType.True => new AuditField(name, "true", IsFlag: true),
                JsonTokenType.False => new AuditField(name, "false", IsFlag: true),
                _ => new AuditField(name, only.IsDefault ? reader.GetString() : KnownValue(ref reader) ?? reader.GetString()),
            });
        }

        // One object and nothing after it (the reader throws for anything but trailing white space).
        reader.Read();
        return fields.Count == fields.Capacity ? fields.MoveToImmutable() : fields.ToImmutable();
    }

    /// <summary>The field names <see cref="Of(SystemStatus)"/> and <see cref="Of(SecurityItemStatus)"/> write, read back as the same strings.</summary>
    private static readonly string[] KnownNames =
        [.. Of(new SystemStatus { BusinessId = string.Empty }).Select(f => f.Name), .. Of(new SecurityItemStatus { ItemId = string.Empty }).Select(f => f.Name)];

    /// <summary>The enum wire names a side's value can be (phases, hosting, providers, reasons, checklist statuses), read back as the same strings.</summary>
    private static readonly string[] KnownValues =
    [
        .. Enum.GetValues<MigrationPhase>().Select(v => Wire.Name(v)),
        .. Enum.GetValues<DesignationReason>().Select(v => Wire.Name(v)),
        .. Enum.GetValues<HostingKind>().Select(v => Wire.Name(v)),
        .. Enum.GetValues<CloudProvider>().Select(v => Wire.Name(v)),
        .. Enum.GetValues<SecurityStatus>().Select(v => Wire.Name(v)),
    ];

    private static string? KnownValue(ref Utf8JsonReader reader)
    {
        // Wire names are short ASCII: longer values (free text, dates) are not compared at all.
        if (reader.HasValueSequence || reader.ValueSpan.Length > 32 || reader.ValueIsEscaped)
        {
            return null;
        }

        foreach (var value in KnownValues)
        {
            if (reader.ValueTextEquals(value))
            {
                return value;
            }
        }

        return null;
    }

    private static string? KnownName(ref Utf8JsonReader reader)
    {
        foreach (var name in KnownNames)
        {
            if (reader.ValueTextEquals(name))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// One side of an entry as served: its fields, or for a legacy entry its text under <see cref="LegacyText"/>; null
    /// when there is nothing (e.g. the "before" of a first report).
    /// </summary>
    public static ImmutableArray<AuditField> Side(ImmutableArray<AuditField> fields, string? legacy) =>
        !fields.IsDefaultOrEmpty ? fields : legacy is null ? [] : [new AuditField(LegacyText, legacy)];

    /// <summary>
    /// Whether <paramref name="entry"/> records a confirmation (<see cref="Readiness.Catalog.Vocabulary.Confirmed"/>): a report
    /// that changed no field of its target, so both sides are there and equal (the fields, or a legacy entry's text).
    /// What every list of changes (pages, JSON <c>confirmed</c>, CSV <c>confirmed</c>) and the form's notice go by.
    /// </summary>
    public static bool IsConfirmation(ChangeEntry entry) =>
        !entry.AfterFields.IsDefaultOrEmpty
            ? !entry.BeforeFields.IsDefaultOrEmpty && entry.BeforeFields.SequenceEqual(entry.AfterFields)
            : entry.After is not null && string.Equals(entry.Before, entry.After, StringComparison.Ordinal);

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

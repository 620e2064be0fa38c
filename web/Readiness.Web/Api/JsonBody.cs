using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Readiness.Web.Api;

/// <summary>
/// Reads request bodies strictly (unknown or duplicate properties, wrong types, integers for enums, impossible dates
/// are all refused) and turns every fault into a 400/413/415 problem naming the JSON path, never a 500.
/// </summary>
public static partial class JsonBody
{
    /// <summary>Largest report body: the 20 systems and 47 items with full texts fit several times over.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    public const int SmallBodyBytes = 16 * 1024;

    public static JsonSerializerOptions RequestOptions { get; } = CreateRequestOptions();

    private static JsonSerializerOptions CreateRequestOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, // a "tenant" in a body is refused, never used
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            AllowDuplicateProperties = false,
            MaxDepth = 16,
        };
        options.Converters.Add(new WireEnumConverterFactory());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        var contentType = request.ContentType;
        if (contentType is null || !(contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && contentType.Split(';')[0].EndsWith("+json", StringComparison.OrdinalIgnoreCase))))
        {
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type", "unsupported_media_type",
                "本文は JSON（Content-Type: application/json）で送ってください。", $"Send the body as JSON (Content-Type: application/json), not '{Problems.Truncate(contentType ?? "none")}'."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        byte[] bytes;
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > maxBytes)
                {
                    return (null, TooLarge(maxBytes));
                }
            }

            bytes = buffer.ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }

        if (bytes.Length == 0)
        {
            return (null, Problems.BadRequest("body", "required", "本文（JSON）がありません。", "The request body (JSON) is missing."));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(bytes, RequestOptions);
            return value is null
                ? (null, Problems.BadRequest("body", "required", "本文が null です。JSON オブジェクトを送ってください。", "The body is null: send a JSON object."))
                : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, FromJsonException(ex));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            return (null, Problems.BadRequest("body", "invalid_json", "本文を JSON として読めません。", "The body cannot be read as JSON (" + ex.GetType().Name + ")."));
        }
    }

    private static ProblemHttpResult TooLarge(int maxBytes) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", "body", "too_large",
            $"本文が大きすぎます（上限 {maxBytes / 1024} KiB）。", $"The body is too large (at most {maxBytes / 1024} KiB).");

    private static ProblemHttpResult FromJsonException(JsonException ex)
    {
        var field = Field(ex.Path);
        if (ex is WireEnumException wire)
        {
            return Problems.BadRequest(field, "unknown_value", wire.MessageJa, wire.Message);
        }

        var message = ex.Message;
        if (MissingRequired().Match(message) is { Success: true } missing)
        {
            var names = missing.Groups[1].Value.Replace("'", string.Empty, StringComparison.Ordinal);
            var name = names.Split(',')[0].Trim();
            return Problems.BadRequest(Join(field, name), "required", $"「{name}」は必須です。", $"'{name}' is required.");
        }

        if (Unmapped().Match(message) is { Success: true } unmapped)
        {
            var name = unmapped.Groups[1].Value;
            if (name.Contains('\uFFFD', StringComparison.Ordinal))
            {
                return Problems.BadRequest("body", "invalid_utf8", "本文が UTF-8 として正しくありません。", "The body is not valid UTF-8.");
            }

            var target = field.EndsWith(name, StringComparison.Ordinal) ? field : Join(field, name);
            return Problems.BadRequest(target, "unknown_property",
                $"「{name}」という項目はありません（団体コードなどは URL とサインインから決まります）。", $"There is no property '{name}' here (the municipality comes from the URL and your sign-in, never from the body).");
        }

        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.BadRequest(field, "duplicate_property", "同じ項目が2回あります。", "A property appears twice.");
        }

        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("doesn't allow", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.BadRequest(field, "null_not_allowed", "この項目に null は指定できません。", "This property cannot be null.");
        }

        var wrongType = message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);
        var (hintJa, hintEn) = Hint(field);
        return wrongType
            ? Problems.BadRequest(field, "wrong_type", $"「{field}」の値の型または形式が正しくありません。{hintJa}", $"The value at '{field}' has the wrong type or format.{hintEn}")
            : Problems.BadRequest(field, "invalid_json", $"JSON の形式が正しくありません（{Where(field, ex)}）。", $"Malformed JSON ({Where(field, ex)}).");
    }

    private static string Where(string field, JsonException ex) =>
        ex.LineNumber is { } line && ex.BytePositionInLine is { } position
            ? $"{field}, line {line + 1}, byte {position + 1}"
            : field;

    /// <summary>"$.systems[0].phase" becomes "systems[0].phase"; the root is "body".</summary>
    private static string Field(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string Join(string field, string name) => field == "body" ? name : $"{field}.{name}";

    private static (string Ja, string En) Hint(string field)
    {
        var last = field.Split('.')[^1];
        return last switch
        {
            "plannedGoLive" or "targetDate" or "lastReviewed" => ("日付は YYYY-MM-DD 形式の実在する日付で指定してください。", " Dates are YYYY-MM-DD and must exist on the calendar."),
            "notApplicable" => ("true または false を指定してください。", " Use true or false."),
            "systems" or "security" => ("配列で指定してください。", " Use an array."),
            _ => (string.Empty, string.Empty),
        };
    }

    [GeneratedRegex(@"missing required properties including: (.+?)\.?$", RegexOptions.CultureInvariant)]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"JSON property '(.+?)' could not be mapped", RegexOptions.CultureInvariant)]
    private static partial Regex Unmapped();
}

/// <summary>A value that is not one of an enum's snake_case names.</summary>
public sealed class WireEnumException(string messageEn, string messageJa) : JsonException(messageEn)
{
    public string MessageJa { get; } = messageJa;
}

/// <summary>Enums only as their exact snake_case names (no integers, no other casing, no comma-combined flags).</summary>
public sealed class WireEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(WireEnumConverter<>).MakeGenericType(typeToConvert))!;

    private sealed class WireEnumConverter<TEnum> : JsonConverter<TEnum>
        where TEnum : struct, Enum
    {
        private static readonly string Allowed = string.Join(", ", Enum.GetValues<TEnum>().Select(v => Wire.Name(v)));

        public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (text is not null && Wire.TryParse<TEnum>(text, out var value))
            {
                return value;
            }

            var shown = text is null ? reader.TokenType.ToString().ToLowerInvariant() : $"'{Problems.Truncate(text)}'";
            throw new WireEnumException($"{shown} is not one of: {Allowed}.", $"{shown} は使用できません。次のいずれかを指定してください: {Allowed}");
        }

        public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) => writer.WriteStringValue(Wire.Name(value));
    }
}

using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Readiness.Web.Api;

/// <summary>
/// Reads a JSON request body with System.Text.Json and the contract it derives for the target type
/// (<see cref="JsonTypeInfo"/>: property names, nullability, required members), and turns every fault into a
/// 400/413/415 problem naming the JSON path, never a 500. Faults are found by <see cref="JsonContract"/> from the
/// document and the contract, never from the serializer's (English, unstable) exception messages. The size limit is
/// Kestrel's (413), the media type and charset are <see cref="MediaTypes"/>' (415).
/// </summary>
public static class JsonBody
{
    /// <summary>Largest report body: the 20 systems and 47 items with full texts fit several times over.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    public const int SmallBodyBytes = 16 * 1024;

    /// <summary>Request bodies only: unknown or duplicate properties, nulls where the type has none, integers or other spellings for enums are refused.</summary>
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
            NumberHandling = JsonNumberHandling.Strict,
            MaxDepth = 16,
        };
        options.Converters.Add(new WireEnumConverterFactory());
        options.Converters.Add(new JapanTime.InstantConverter()); // a date alone is the end of that day in Japan; no offset-less times
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>The body as <typeparamref name="T"/>, or the problem to answer; <paramref name="limit"/> is the kind of body (its size and its 413's advice).</summary>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, BodyLimit limit, CancellationToken cancellationToken)
        where T : class
    {
        var (value, _, problem) = await ReadWithMembersAsync<T>(request, limit, cancellationToken);
        return (value, problem);
    }

    /// <summary>The body as <typeparamref name="T"/> and as the document it came from (to see which members were sent), or the problem.</summary>
    public static async Task<(T? Value, JsonElement Document, ProblemHttpResult? Problem)> ReadWithMembersAsync<T>(
        HttpRequest request, BodyLimit limit, CancellationToken cancellationToken, IReadOnlyList<string>? accepted = null)
        where T : class
    {
        if (MediaTypes.Check(request.ContentType, accepted ?? MediaTypes.JsonOnly) is { } mediaProblem)
        {
            return (null, default, mediaProblem);
        }

        var (bytes, readProblem) = await ReadBytesAsync(request, limit, cancellationToken);
        if (readProblem is not null)
        {
            return (null, default, readProblem);
        }

        // The document and its bytes live as long as the request (the caller reads which members were sent from it).
        var (value, document, errors) = Bind<T>(bytes, request.HttpContext.Response.RegisterForDispose);
        return errors.Count == 0 ? (value, document, null) : (null, default, Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", errors));
    }

    /// <summary>
    /// As <see cref="ReadWithMembersAsync{T}"/>, and when the body is refused for faults of its own members, the body
    /// without those members (<see cref="WithoutFaults{T}"/>), so that the domain rules can judge the rest and every
    /// fault is answered in one 400 (round 50: a PATCH with a malformed date and a rule broken told only the date).
    /// </summary>
    public static async Task<(T? Value, JsonElement Document, ProblemHttpResult? Problem, (T Value, JsonElement Document)? Remainder)> ReadWithRestAsync<T>(
        HttpRequest request, BodyLimit limit, CancellationToken cancellationToken, IReadOnlyList<string>? accepted = null)
        where T : class
    {
        if (MediaTypes.Check(request.ContentType, accepted ?? MediaTypes.JsonOnly) is { } mediaProblem)
        {
            return (null, default, mediaProblem, null);
        }

        var (bytes, readProblem) = await ReadBytesAsync(request, limit, cancellationToken);
        if (readProblem is not null)
        {
            return (null, default, readProblem, null);
        }

        var (value, document, errors) = Bind<T>(bytes, request.HttpContext.Response.RegisterForDispose);
        return errors.Count == 0
            ? (value, document, null, null)
            : (null, default, Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", errors), WithoutFaults<T>(bytes, errors));
    }

    /// <summary>
    /// The object <paramref name="bytes"/> holds without the top-level members <paramref name="errors"/> name, bound as
    /// <typeparamref name="T"/> with the document it forms; null when a fault is not a member's (the body as a whole:
    /// syntax, encoding) or names no member sent, or the rest does not bind.
    /// </summary>
    internal static (T Value, JsonElement Document)? WithoutFaults<T>(ReadOnlyMemory<byte> bytes, IReadOnlyList<ProblemError> errors)
        where T : class
    {
        System.Text.Json.Nodes.JsonObject? node;
        try
        {
            node = System.Text.Json.Nodes.JsonNode.Parse(bytes.Span, documentOptions: new JsonDocumentOptions { MaxDepth = RequestOptions.MaxDepth }) as System.Text.Json.Nodes.JsonObject;
            foreach (var error in errors)
            {
                var member = error.Field.Split('.', '[')[0];
                if (node is null || member == "body" || !node.Remove(member) && !errors.Any(e => e != error && e.Field.Split('.', '[')[0] == member))
                {
                    return null;
                }
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // Duplicate names and the like: the faults stand alone.
            return null;
        }

        var (value, document, rest) = Bind<T>(JsonSerializer.SerializeToUtf8Bytes(node));
        return rest.Count == 0 && value is not null ? (value, document) : null;
    }

    /// <summary>
    /// For an endpoint that takes no body (no <see cref="Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata"/>): null
    /// when none is sent, an empty one or the empty object <c>{}</c>; any other body is read as every other write reads
    /// its own (media type 415; size 413; BOM, UTF-8, syntax, unpaired surrogates, duplicate and unknown members 400)
    /// and the problem answered, so a body nobody reads is never taken in silence.
    /// </summary>
    public static async Task<ProblemHttpResult?> ReadNoneAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (bytes, readProblem) = await ReadBytesAsync(request, BodyLimit.Small, cancellationToken);
        if (readProblem is not null || bytes.IsEmpty)
        {
            return readProblem;
        }

        if (MediaTypes.Check(request.ContentType, MediaTypes.JsonOnly) is { } mediaProblem)
        {
            return mediaProblem;
        }

        var (_, _, errors) = Bind<NoMembers>(bytes);
        return errors.Count == 0 ? null : Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", errors);
    }

    /// <summary>The body of an endpoint that takes none: an object with no members.</summary>
    internal sealed class NoMembers;

    /// <summary>
    /// Binds UTF-8 JSON to <typeparamref name="T"/>: a syntax error names where the reader stopped; otherwise the
    /// document is checked against the type's contract and every fault is listed, in document order.
    /// </summary>
    /// <param name="bytes">The body.</param>
    /// <param name="keepUntilDone">
    /// Takes the parsed document to dispose of when its element is no longer used (the request's end); without it the
    /// element returned is a copy that owns its memory.
    /// </param>
    public static (T? Value, JsonElement Document, IReadOnlyList<ProblemError> Errors) Bind<T>(ReadOnlyMemory<byte> bytes, Action<IDisposable>? keepUntilDone = null)
        where T : class
    {
        if (bytes.IsEmpty)
        {
            return (null, default, [new ProblemError("body", "required", "本文（JSON）がありません。", "The request body (JSON) is missing.")]);
        }

        if (bytes.Span.StartsWith("\uFEFF"u8))
        {
            // RFC 8259 §8.1: JSON text sent between systems must not begin with a byte order mark.
            return (null, default, [new ProblemError("body", "utf8_bom",
                "本文の先頭に BOM（EF BB BF）があります。BOM なしの UTF-8 で送ってください。", "The body begins with a byte order mark (EF BB BF); send UTF-8 without a BOM (RFC 8259 §8.1).")]);
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
        {
            return (null, default, [JsonContract.NotUtf8(bytes.Span)]);
        }

        JsonElement document;
        try
        {
            // Parsed where the bytes are; its pooled memory goes back when the owner disposes of it.
            var parsed = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = RequestOptions.MaxDepth });
            if (keepUntilDone is null)
            {
                using (parsed)
                {
                    document = parsed.RootElement.Clone();
                }
            }
            else
            {
                keepUntilDone(parsed);
                document = parsed.RootElement;
            }
        }
        catch (JsonException ex)
        {
            return (null, default, [Malformed(bytes.Span, ex)]);
        }

        var info = RequestOptions.GetTypeInfo(typeof(T));
        var errors = JsonContract.Check(document, info, "body");
        if (errors.Count > 0)
        {
            return (null, document, errors);
        }

        try
        {
            return (document.Deserialize<T>(RequestOptions), document, []);
        }
        catch (JsonException ex)
        {
            // The contract check found nothing: still a 400 naming the path, never a 500.
            return (null, document, [JsonContract.WrongValue(JsonContract.Field(ex.Path), ex)]);
        }
    }

    /// <summary>
    /// The members <paramref name="element"/> (an object already checked against <typeparamref name="T"/>'s contract)
    /// has, as the contract's own names: which members a request sent, so that the others keep their values.
    /// </summary>
    public static IReadOnlySet<string> Members<T>(JsonElement element)
    {
        // One bit per contract member (a report item sends ~10 of them, 67 items a report): a set of bits, not a hash set
        // per item (the allocation profile of a report, issue 14).
        var names = MemberNames<T>.Utf8;
        ulong sent = 0;
        for (var i = 0; i < names.Length; i++)
        {
            if (element.TryGetProperty(names[i], out _))
            {
                sent |= 1UL << i;
            }
        }

        return new MemberSet(MemberNames<T>.All, sent);
    }

    private static class MemberNames<T>
    {
        public static readonly string[] All = Contract();

        public static readonly byte[][] Utf8 = [.. All.Select(System.Text.Encoding.UTF8.GetBytes)];

        private static string[] Contract()
        {
            string[] names = [.. JsonContract.BodyMembers(RequestOptions.GetTypeInfo(typeof(T))).Select(p => p.Name)];
            return names.Length <= 64 ? names : throw new InvalidOperationException($"{typeof(T).Name} has {names.Length} members; a member set holds 64.");
        }
    }

    /// <summary>
    /// Malformed JSON: the path the reader had reached, its line and byte. Nesting deeper than
    /// <see cref="JsonSerializerOptions.MaxDepth"/> (16 levels) is well-formed JSON the product refuses: said as such
    /// (<c>too_deep</c>), not as a syntax error.
    /// </summary>
    private static ProblemError Malformed(ReadOnlySpan<byte> bytes, JsonException parseError)
    {
        var field = Locate(bytes);
        var where = parseError.LineNumber is { } line && parseError.BytePositionInLine is { } position
            ? $"{field}, line {line + 1}, byte {position + 1}"
            : field;
        var depth = RequestOptions.MaxDepth;
        return NestsBeyond(bytes, depth)
            ? new ProblemError(field, "too_deep", $"JSON の入れ子が深すぎます（{depth} 段まで、{where}）。", $"The JSON is nested too deeply (at most {depth} levels; {where}).")
            : new ProblemError(field, "invalid_json", $"JSON の形式が正しくありません（{where}）。", $"Malformed JSON ({where}).");
    }

    /// <summary>True when a reader without the depth limit reaches an object or array deeper than <paramref name="depth"/> levels before any syntax error.</summary>
    private static bool NestsBeyond(ReadOnlySpan<byte> bytes, int depth)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = depth + 2 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= depth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // A syntax error before any such depth: malformed.
        }

        return false;
    }

    /// <summary>Reads tokens until the reader fails and names the member it was in ("designation.reason", "systems[2]"); "body" at the top.</summary>
    private static string Locate(ReadOnlySpan<byte> bytes)
    {
        var position = new JsonBodyPosition();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = RequestOptions.MaxDepth });
        try
        {
            while (reader.Read())
            {
                position.Follow(ref reader);
            }
        }
        catch (JsonException)
        {
            // Where it stopped is the answer.
        }

        return position.Path;
    }

    private static async Task<(ReadOnlyMemory<byte> Bytes, ProblemHttpResult? Problem)> ReadBytesAsync(HttpRequest request, BodyLimit limit, CancellationToken cancellationToken)
    {
        var maxBytes = limit.MaxBytes;
        if (request.ContentLength > maxBytes)
        {
            // Before the limit is lowered: its start says whether Japanese came \u-escaped, so the advice fits.
            var (escaped, longValue) = await LookAtStartAsync(request, maxBytes, cancellationToken);
            return (default, limit.TooLarge(escaped, longValue));
        }

        // Kestrel enforces the limit of a body with a length and answers our 413 through the exception below. A chunked
        // body is counted here instead, Kestrel's limit only a backstop above one read's most (its request buffer, 1 MiB):
        // Kestrel refuses the read that crosses its limit with that read's bytes unseen, so a value that crossed it could
        // not be named, depending on how the bytes happened to arrive.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } server)
        {
            server.MaxRequestBodySize = request.ContentLength is > 0 ? maxBytes : maxBytes + ChunkedBackstopBytes;
        }

        var chunked = new MemoryStream();
        try
        {
            if (request.ContentLength is { } length and > 0)
            {
                // A pooled buffer of the declared length, back in the pool when the request ends (Kestrel ends the body
                // at Content-Length and refuses a shorter one).
                var rented = BodyPool.Rent((int)length);
                request.HttpContext.Response.RegisterForDispose(new PooledBuffer(rented));
                var read = 0;
                while (read < length && await request.Body.ReadAsync(rented.AsMemory(read, (int)length - read), cancellationToken) is var n and > 0)
                {
                    read += n;
                }

                return (rented.AsMemory(0, read), null);
            }

            var piece = new byte[16 * 1024];
            while (chunked.Length <= maxBytes && await request.Body.ReadAsync(piece, cancellationToken) is var got and > 0)
            {
                chunked.Write(piece, 0, got);
            }

            if (chunked.Length > maxBytes)
            {
                var seen = chunked.GetBuffer().AsSpan(0, (int)chunked.Length);
                return (default, limit.TooLarge(Escapes(seen[..Math.Min(seen.Length, SniffBytes)]), LongValue.Find(seen)));
            }

            return (chunked.ToArray(), null);
        }
        catch (BadHttpRequestException ex)
        {
            // Too large, cut short (the client went away mid-body) or too slow (less than Kestrel's minimum data rate):
            // the client's fault, answered as such and not logged as an error of ours.
            return (default, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? limit.TooLarge(chunked.Length == 0 ? null : Escapes(chunked.GetBuffer().AsSpan(0, (int)Math.Min(chunked.Length, SniffBytes))),
                    chunked.Length == 0 ? null : LongValue.Find(chunked.GetBuffer().AsSpan(0, (int)chunked.Length)))
                : UnreadBody.Problem(ex));
        }
        finally
        {
            await chunked.DisposeAsync();
        }
    }

    /// <summary>Kestrel's limit of a chunked body above ours: more than one read of Kestrel's request buffer (1 MiB) holds.</summary>
    private const long ChunkedBackstopBytes = 2 * 1024 * 1024;

    /// <summary>How much of an over-limit body is looked at for \u-escaped text: its first 16 KiB.</summary>
    private const int SniffBytes = 16 * 1024;

    /// <summary>
    /// What the start of a body over its limit (up to <paramref name="maxBytes"/>, the limit) says: whether it holds
    /// non-ASCII text written as <c>\uXXXX</c> (6 bytes a character where UTF-8 takes 3; in its first 16 KiB) and the
    /// first string value far over any text's length (<see cref="LongValue"/>); both null when it cannot be read (over
    /// the server's own cap, or cut short).
    /// </summary>
    private static async Task<(bool? Escaped, LongValue? Long)> LookAtStartAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var start = new byte[maxBytes];
        var read = 0;
        try
        {
            while (read < start.Length && await request.Body.ReadAsync(start.AsMemory(read), cancellationToken) is var n and > 0)
            {
                read += n;
            }
        }
        catch (BadHttpRequestException)
        {
            return (null, null);
        }

        return read == 0 ? (null, null) : (Escapes(start.AsSpan(0, Math.Min(read, SniffBytes))), LongValue.Find(start.AsSpan(0, read)));
    }

    /// <summary>True when <paramref name="json"/> holds a <c>\uXXXX</c> escape of a character past ASCII.</summary>
    internal static bool Escapes(ReadOnlySpan<byte> json)
    {
        while (json.IndexOf("\\u"u8) is var i and >= 0)
        {
            if (i + 6 <= json.Length && System.Buffers.Text.Utf8Parser.TryParse(json.Slice(i + 2, 4), out ushort code, out var used, 'x') && used == 4 && code >= 0x80)
            {
                return true;
            }

            json = json[(i + 2)..];
        }

        return false;
    }

    /// <summary>
    /// The bodies' own pool: a body is held until its request ends, and a deadline rush has 128 reports of ~50 KB in
    /// flight, more than <see cref="ArrayPool{T}.Shared"/> keeps of one size on two cores (it then made a new array for
    /// most of them). At most 256 arrays of each size up to <see cref="MaxBodyBytes"/> are kept (16 MiB of 64 KiB ones).
    /// </summary>
    private static readonly ArrayPool<byte> BodyPool = ArrayPool<byte>.Create(maxArrayLength: MaxBodyBytes, maxArraysPerBucket: 256);

    /// <summary>A rented body buffer, returned to the pool when the request's resources are disposed of.</summary>
    private sealed class PooledBuffer(byte[] rented) : IDisposable
    {
        public void Dispose() => BodyPool.Return(rented);
    }
}

/// <summary>
/// Checks a JSON document against the contract System.Text.Json derives for a type: unknown and duplicate
/// properties, null where the property is not nullable, missing required properties, and values its converters
/// refuse (wrong type, impossible date, unknown enum name). Pure; each fault names its path ("systems[0].phase";
/// the root is "body") in Japanese and English.
/// </summary>
public static class JsonContract
{
    public static IReadOnlyList<ProblemError> Check(JsonElement element, JsonTypeInfo info, string path)
    {
        var errors = new List<ProblemError>();
        var walk = new Walker(path, errors);
        walk.Walk(element, info);
        return errors;
    }

    /// <summary>
    /// An object type's properties as the walk looks them up: by their UTF-8 names, so that a valid document's member
    /// names are matched without being read as strings (a 67-target report has ~250), with each property's
    /// nullability. Computed once per type (the contract of a type never changes once its options are read-only).
    /// </summary>
    /// <summary>
    /// The members a body may carry: the type's JSON properties without those marked [JsonIgnore] (the web tier's own
    /// bookkeeping, such as which members were sent). System.Text.Json lists those too and skips them silently when a
    /// body names them, so {"given": …} was accepted instead of refused as unknown.
    /// </summary>
    internal static IEnumerable<JsonPropertyInfo> BodyMembers(JsonTypeInfo info) =>
        info.Properties.Where(p => p.AttributeProvider?.GetCustomAttributes(typeof(JsonIgnoreAttribute), inherit: true)
            .OfType<JsonIgnoreAttribute>().Any(a => a.Condition == JsonIgnoreCondition.Always) != true);

    private sealed class ObjectContract
    {
        private ObjectContract(JsonTypeInfo info)
        {
            Properties = [.. BodyMembers(info)];
            Utf8Names = [.. Properties.Select(p => System.Text.Encoding.UTF8.GetBytes(p.Name))];
            ByName = Properties.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
            Names = string.Join(", ", Properties.Select(p => p.Name));
            NullAllowed = [.. Properties.Select(Nullable)];
        }

        public JsonPropertyInfo[] Properties { get; }

        public byte[][] Utf8Names { get; }

        public Dictionary<string, int> ByName { get; }

        /// <summary>The contract's member names as the body spells them, for a refusal to list ("name, tenant, scope, expiresAt").</summary>
        public string Names { get; }

        public bool[] NullAllowed { get; }

        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonTypeInfo, ObjectContract> Cache = [];

        public static ObjectContract Of(JsonTypeInfo info) => Cache.GetValue(info, static i => new ObjectContract(i));

        /// <summary>The index of the property <paramref name="member"/> names, or -1 when there is none.</summary>
        public int IndexOf(JsonProperty member)
        {
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(member);
            if (raw.IndexOf((byte)'\\') < 0)
            {
                for (var i = 0; i < Utf8Names.Length; i++)
                {
                    if (raw.SequenceEqual(Utf8Names[i]))
                    {
                        return i;
                    }
                }

                return -1;
            }

            // An escaped name ("ph\u0061se") is still that name.
            return ByName.TryGetValue(member.Name, out var index) ? index : -1;
        }
    }

    /// <summary>
    /// One check of one document. The path of the element being checked ("systems[0].phase"; the root is the path
    /// given) is kept as segments and spelled out only for an error, so a valid document costs no path strings.
    /// </summary>
    private readonly struct Walker(string root, List<ProblemError> errors)
    {
        private readonly List<(string? Name, int Index)> segments = [];

        public void Walk(JsonElement element, JsonTypeInfo info)
        {
            switch (info.Kind)
            {
                case JsonTypeInfoKind.Object:
                    if (element.ValueKind != JsonValueKind.Object)
                    {
                        var path = Path();
                        errors.Add(path == "body"
                            ? new ProblemError(path, "wrong_type", "本文は JSON オブジェクト（{...}）にしてください。", "The body must be a JSON object ({...}).")
                            : new ProblemError(path, "wrong_type", $"「{path}」はオブジェクト（{{...}}）で指定してください。", $"The value at '{path}' must be an object ({{...}})."));
                        return;
                    }

                    WalkObject(element, info);
                    return;

                case JsonTypeInfoKind.Enumerable when info.ElementType is { } elementType:
                    if (element.ValueKind != JsonValueKind.Array)
                    {
                        var path = Path();
                        errors.Add(new ProblemError(path, "wrong_type", $"「{path}」は配列で指定してください。", $"The value at '{path}' must be an array."));
                        return;
                    }

                    var elementInfo = info.Options.GetTypeInfo(elementType);
                    var i = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        segments.Add((null, i++));
                        if (item.ValueKind == JsonValueKind.Null)
                        {
                            errors.Add(NullNotAllowed(Path()));
                        }
                        else
                        {
                            Walk(item, elementInfo);
                        }

                        segments.RemoveAt(segments.Count - 1);
                    }

                    return;

                default:
                    if (UnpairedSurrogate(element) is { } escape)
                    {
                        errors.Add(InvalidCharacter(Path(), escape));
                        return;
                    }

                    if (!AcceptsWithoutReading(element, info))
                    {
                        // A value: its converter decides (strict enums, YYYY-MM-DD dates, true/false, strings).
                        try
                        {
                            element.Deserialize(info);
                        }
                        catch (JsonException ex)
                        {
                            errors.Add(WrongValue(Path(), ex));
                        }
                    }

                    return;
            }
        }

        private void WalkObject(JsonElement element, JsonTypeInfo info)
        {
            var contract = ObjectContract.Of(info);
            var seen = new bool[contract.Properties.Length];
            HashSet<string>? unknown = null;
            foreach (var member in element.EnumerateObject())
            {
                // A name holding an unpaired surrogate escape cannot be read as text (JsonProperty.Name throws): said as
                // such, never a 500.
                if (UnpairedSurrogate(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(member)) is { } nameEscape)
                {
                    errors.Add(InvalidCharacter(Path(), nameEscape, inName: true));
                    continue;
                }

                var index = contract.IndexOf(member);
                if (index < 0)
                {
                    // Not in the contract: refused the first time, a duplicate after that.
                    var name = member.Name;
                    segments.Add((Problems.Escaped(name), -1)); // the field names what was sent, as text
                    var field = Path();
                    errors.Add((unknown ??= new HashSet<string>(StringComparer.Ordinal)).Add(name)
                        ? contract.Properties.Length == 0
                            ? new ProblemError(field, "unknown_property",
                                $"「{Problems.Shown(name)}」という項目はありません。この操作は本文を取りません（送らないか、{{}} にしてください）。",
                                $"There is no property '{Problems.Shown(name)}' here: this operation takes no body (send none, or {{}}).")
                            : new ProblemError(field, "unknown_property",
                                $"「{Problems.Shown(name)}」という項目はありません。使える項目: {contract.Names}（団体コードなどは URL とサインインから決まります）。",
                                $"There is no property '{Problems.Shown(name)}' here; the properties are: {contract.Names} (whose data it is comes from the URL and your sign-in, never from the body).")
                        : Duplicate(field, name));
                    segments.RemoveAt(segments.Count - 1);
                    continue;
                }

                var property = contract.Properties[index];
                segments.Add((property.Name, -1));
                if (seen[index])
                {
                    errors.Add(Duplicate(Path(), property.Name));
                }
                else if (member.Value.ValueKind == JsonValueKind.Null)
                {
                    seen[index] = true;
                    if (!contract.NullAllowed[index])
                    {
                        errors.Add(NullNotAllowed(Path()));
                    }
                }
                else
                {
                    seen[index] = true;
                    Walk(member.Value, info.Options.GetTypeInfo(property.PropertyType));
                }

                segments.RemoveAt(segments.Count - 1);
            }

            for (var i = 0; i < contract.Properties.Length; i++)
            {
                var property = contract.Properties[i];
                if (property.IsRequired && !seen[i])
                {
                    segments.Add((property.Name, -1));
                    errors.Add(new ProblemError(Path(), "required", $"「{property.Name}」は必須です。", $"'{property.Name}' is required."));
                    segments.RemoveAt(segments.Count - 1);
                }
            }
        }

        /// <summary>The path of the element being checked, spelled out: "systems[0].phase", the root's own name at the top.</summary>
        private string Path()
        {
            var path = root;
            foreach (var (name, index) in segments)
            {
                path = name is null ? $"{path}[{index}]" : path == "body" ? name : $"{path}.{name}";
            }

            return path;
        }
    }

    /// <summary>
    /// A JSON string where the type is a string, or true/false where it is a bool: System.Text.Json's own converters
    /// take any such value (the request options register none of their own for these types), so there is nothing to
    /// read twice. Every other value goes through its converter.
    /// </summary>
    private static bool AcceptsWithoutReading(JsonElement element, JsonTypeInfo info) =>
        (info.Type == typeof(string) && element.ValueKind == JsonValueKind.String)
        || ((info.Type == typeof(bool) || info.Type == typeof(bool?)) && element.ValueKind is JsonValueKind.True or JsonValueKind.False);

    /// <summary>
    /// The first escape (<c>\ud800</c>) of a JSON string that makes it invalid UTF-16, an unpaired surrogate, as sent;
    /// null for any other value. System.Text.Json parses such a string but cannot read it (InvalidOperationException,
    /// or a JsonException taken for the value's type): it is named here first. Only strings holding a backslash are scanned.
    /// </summary>
    private static string? UnpairedSurrogate(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? UnpairedSurrogate(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)) : null;

    /// <summary>The first unpaired surrogate escape in raw JSON string bytes (escapes as sent; the reader has checked their syntax).</summary>
    internal static string? UnpairedSurrogate(ReadOnlySpan<byte> raw)
    {
        for (var i = raw.IndexOf((byte)'\\'); i >= 0 && i + 1 < raw.Length;)
        {
            if (raw[i + 1] != (byte)'u')
            {
                i = Next(raw, i + 2);
                continue;
            }

            var unit = Unit(raw, i);
            if (char.IsHighSurrogate(unit) && i + 7 < raw.Length && raw[i + 6] == (byte)'\\' && raw[i + 7] == (byte)'u' && char.IsLowSurrogate(Unit(raw, i + 6)))
            {
                i = Next(raw, i + 12);
                continue;
            }

            if (char.IsSurrogate(unit))
            {
                return System.Text.Encoding.ASCII.GetString(raw.Slice(i, 6));
            }

            i = Next(raw, i + 6);
        }

        return null;

        static int Next(ReadOnlySpan<byte> raw, int from) =>
            from >= raw.Length ? -1 : raw[from..].IndexOf((byte)'\\') is var at and >= 0 ? from + at : -1;

        static char Unit(ReadOnlySpan<byte> raw, int at) =>
            at + 6 <= raw.Length && System.Buffers.Text.Utf8Parser.TryParse(raw.Slice(at + 2, 4), out ushort code, out var used, 'x') && used == 4 ? (char)code : '\0';
    }

    /// <summary>
    /// 400 invalid_utf8 naming where the first bytes that are not UTF-8 are: the member whose string value holds them
    /// ("systems[0].name", as every other fault names it), or whose name holds them; "body" when they are outside any
    /// string (then the text is not JSON at all, and no member can be named) or the rest cannot be read.
    /// </summary>
    internal static ProblemError NotUtf8(ReadOnlySpan<byte> bytes)
    {
        var (field, inName) = NotUtf8Field(bytes);
        return field == "body"
            ? new ProblemError("body", "invalid_utf8",
                "本文が UTF-8 として正しくありません（文字列の外にあるか、前後が JSON として読めないため、項目を特定できません）。",
                "The body is not valid UTF-8 (outside any string, or where the JSON around it cannot be read, so no member can be named).")
            : inName
                ? new ProblemError(field, "invalid_utf8", $"「{field}」の項目名が UTF-8 として正しくありません（不正なバイトは ? で示しています）。",
                    $"The property name at '{field}' is not valid UTF-8 (the bad bytes are shown as ?).")
                : new ProblemError(field, "invalid_utf8", $"「{field}」の値が UTF-8 として正しくありません。UTF-8 で送ってください。",
                    $"The value at '{field}' is not valid UTF-8; send UTF-8.");
    }

    /// <summary>
    /// Where the first ill-formed UTF-8 sequence is: each one is replaced by as many '?' (the offsets stay), then the
    /// document is read token by token until the token holding the first one.
    /// </summary>
    private static (string Field, bool InName) NotUtf8Field(ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        var first = -1;
        for (var i = 0; i < copy.Length;)
        {
            var status = System.Text.Rune.DecodeFromUtf8(copy.AsSpan(i), out _, out var used);
            if (status != OperationStatus.Done)
            {
                first = first < 0 ? i : first;
                copy.AsSpan(i, used).Fill((byte)'?');
            }

            i += used;
        }

        // One frame per open object (the member being read) or array (the index of the element being read).
        var frames = new List<(bool Array, int Index, string? Name)>();
        var reader = new Utf8JsonReader(copy, new JsonReaderOptions { MaxDepth = JsonBody.RequestOptions.MaxDepth });
        try
        {
            while (first >= 0 && reader.Read() && reader.TokenStartIndex <= first)
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        continue;
                    case JsonTokenType.PropertyName:
                        frames[^1] = (false, 0, Problems.Escaped(reader.GetString()!));
                        if (first < reader.BytesConsumed)
                        {
                            return (FieldOf(frames), true);
                        }

                        continue;
                }

                if (frames.Count > 0 && frames[^1].Array)
                {
                    frames[^1] = (true, frames[^1].Index + 1, null);
                }

                if (reader.TokenType == JsonTokenType.String && first < reader.BytesConsumed)
                {
                    return (FieldOf(frames), false);
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    frames.Add((reader.TokenType == JsonTokenType.StartArray, -1, null));
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON around the bytes: "body".
        }

        return ("body", false);

        static string FieldOf(List<(bool Array, int Index, string? Name)> frames)
        {
            var path = "body";
            foreach (var (array, index, name) in frames)
            {
                path = array ? $"{path}[{index}]" : path == "body" ? name! : $"{path}.{name}";
            }

            return path;
        }
    }

    private static ProblemError InvalidCharacter(string field, string escape, bool inName = false) => inName
        ? new(field, "invalid_character",
            $"「{field}」の項目名に文字として正しくない符号（{escape}：対になっていないサロゲート）が含まれています。",
            $"A property name in '{field}' contains an invalid character ({escape}, an unpaired surrogate).")
        : new(field, "invalid_character",
            $"「{field}」に文字として正しくない符号（{escape}：対になっていないサロゲート）が含まれています。",
            $"The value at '{field}' contains an invalid character ({escape}, an unpaired surrogate).");

    private static ProblemError Duplicate(string field, string name) =>
        new(field, "duplicate_property", $"「{Problems.Shown(name)}」が2回あります。", $"The property '{Problems.Shown(name)}' appears twice.");

    /// <summary>A value the converter refused: an enum's own message lists the allowed names; other values get a hint for their field.</summary>
    public static ProblemError WrongValue(string field, JsonException ex)
    {
        if (ex is WireEnumException wire)
        {
            return new ProblemError(field, "unknown_value", wire.MessageJa, wire.Message);
        }

        var (hintJa, hintEn) = Hint(field);
        return new ProblemError(field, "wrong_type", $"「{field}」の値の型または形式が正しくありません。{hintJa}", $"The value at '{field}' has the wrong type or format.{hintEn}");
    }

    /// <summary>"$.systems[0].phase" becomes "systems[0].phase"; the root is "body".</summary>
    public static string Field(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static bool Nullable(JsonPropertyInfo property) =>
        property.PropertyType.IsValueType ? System.Nullable.GetUnderlyingType(property.PropertyType) is not null : property.IsSetNullable;

    private static ProblemError NullNotAllowed(string field) =>
        new(field, "null_not_allowed", $"「{field}」に null は指定できません（値を消せない項目です）。", $"'{field}' cannot be null (this member cannot be cleared).");

    private static (string Ja, string En) Hint(string field)
    {
        var last = field.Split('.')[^1];
        return last switch
        {
            "plannedGoLive" or "designationTarget" or "lastReviewed" => ("日付は YYYY-MM-DD 形式の実在する日付で指定してください。", " Dates are YYYY-MM-DD and must exist on the calendar."),
            "notApplicable" or "designated" => ("true または false を指定してください。", " Use true or false."),
            "expiresAt" => (JapanTime.InstantRuleJa, " " + JapanTime.InstantRuleEn),
            _ => (string.Empty, string.Empty),
        };
    }
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
        private static readonly (string Name, TEnum Value)[] Names = [.. Enum.GetValues<TEnum>().Select(v => (Wire.Name(v), v))];

        public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            // Compared in place: a report has 67 of these, and a string for each was a per-report cost (issue 14).
            if (reader.TokenType == JsonTokenType.String)
            {
                foreach (var (name, known) in Names)
                {
                    if (reader.ValueTextEquals(name))
                    {
                        return known;
                    }
                }
            }

            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (text is not null && Wire.TryParse<TEnum>(text, out var value))
            {
                return value;
            }

            // The value as it was sent (a tester's finding: {"phase":9} was answered "number is not one of"); an object
            // or an array by its kind, as its text could be long.
            var (shownEn, shownJa) = reader.TokenType switch
            {
                JsonTokenType.String => ($"'{Problems.Shown(text!)}'", $"'{Problems.Shown(text!)}'"),
                JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null => (Raw(ref reader), Raw(ref reader)),
                JsonTokenType.StartObject => ("An object", "オブジェクト"),
                JsonTokenType.StartArray => ("An array", "配列"),
                var other => (other.ToString(), other.ToString()),
            };
            throw new WireEnumException($"{shownEn} is not one of: {Allowed}.", $"{shownJa} は使用できません。次のいずれかを指定してください: {Allowed}");
        }

        public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) => writer.WriteStringValue(Wire.Name(value));

        private static string Raw(ref Utf8JsonReader reader) =>
            Problems.Shown(System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan));
    }
}

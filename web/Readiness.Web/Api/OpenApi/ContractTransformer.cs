using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Readiness.Web.Api.OpenApi;

/// <summary>
/// Makes /openapi/v1.json describe the protocol as the code speaks it, so that generated clients (Kiota, NSwag, …)
/// and linters (Redocly's recommended rules) can rely on it: a stable operationId per operation, the conditional and
/// idempotency headers each operation reads and sends, every 4xx/5xx as RFC 9457 problem details (with the
/// <c>errors</c> list of <see cref="ProblemError"/>), tag descriptions, licence, contact, a server URL without a
/// trailing slash and examples for the bodies. Keyed on "METHOD /route" so the endpoint files stay thin; an operation
/// not in <see cref="Operations"/> still gets a derived operationId and the problem responses every API route can give.
/// </summary>
public static partial class ContractTransformer
{
    public const string IfMatch = "If-Match";
    public const string IfNoneMatch = "If-None-Match";
    public const string ETag = "ETag";
    public const string RetryAfter = "Retry-After";
    public const string ProblemSchema = "ProblemDetails";
    public const string ProblemErrorSchema = "ProblemError";
    private const string ProblemJson = "application/problem+json";

    /// <summary>How an operation uses the protocol headers, and which problems it can answer besides 401/500/503.</summary>
    /// <param name="Id">The operationId: stable, camelCase verb + noun, never renamed (generated clients use it).</param>
    /// <param name="IfMatchRequired">null: not read; true: required (428 without); false: optional.</param>
    /// <param name="IdempotencyKeyRequired">null: not read; true: required (400 without); false: optional.</param>
    /// <param name="Problems">The 4xx statuses the operation can answer.</param>
    /// <param name="Grain">Calls a grain, so a storage or silo outage answers 503 with Retry-After.</param>
    public sealed record OperationSpec(string? Id, int[] Problems, bool? IfMatchRequired = null, bool? IdempotencyKeyRequired = null, bool Grain = true);

    private static readonly int[] WriteProblems = [400, 401, 403, 404, 412, 413, 415, 422, 428, 429];

    /// <summary>Every documented operation, keyed "METHOD /route" as ASP.NET Core describes it.</summary>
    public static IReadOnlyDictionary<string, OperationSpec> Operations { get; } = new Dictionary<string, OperationSpec>(StringComparer.Ordinal)
    {
        ["GET /api/v1/catalog"] = new("getCatalog", [401, 429], Grain: false),
        ["GET /api/v1/nation"] = new("getNation", [400, 401, 429]),
        ["GET /api/v1/nation/history"] = new("getNationHistory", [400, 401]),
        ["GET /api/v1/prefectures"] = new("listPrefectures", [400, 401, 429]),
        ["GET /api/v1/prefectures/{prefCode}"] = new("getPrefecture", [400, 401, 404, 429]),
        ["GET /api/v1/municipalities/{code}"] = new("getMunicipality", [400, 401, 403, 404, 429]),
        ["PUT /api/v1/municipalities/{code}/systems/{businessId}"] = new("putSystemReport", WriteProblems, IfMatchRequired: true, IdempotencyKeyRequired: false),
        ["PUT /api/v1/municipalities/{code}/security/{itemId}"] = new("putSecurityReport", WriteProblems, IfMatchRequired: true, IdempotencyKeyRequired: false),

        // The same writes as JSON Merge Patch, and a prefecture's own two systems: their ids stay as derived.
        ["PATCH /api/v1/municipalities/{code}/systems/{businessId}"] = new(null, WriteProblems, IfMatchRequired: true, IdempotencyKeyRequired: false),
        ["PATCH /api/v1/municipalities/{code}/security/{itemId}"] = new(null, WriteProblems, IfMatchRequired: true, IdempotencyKeyRequired: false),
        ["PUT /api/v1/prefectures/{prefCode}/systems/{businessId}"] = new(null, WriteProblems, IfMatchRequired: true, IdempotencyKeyRequired: false),
        ["PATCH /api/v1/prefectures/{prefCode}/systems/{businessId}"] = new(null, WriteProblems, IfMatchRequired: true, IdempotencyKeyRequired: false),
        ["POST /api/v1/municipalities/{code}/reports"] = new("postReport", [.. WriteProblems.Where(s => s != 428)], IfMatchRequired: false, IdempotencyKeyRequired: true),
        ["POST /api/v1/municipalities/{code}/template/apply"] = new("applyReportingTemplate", [.. WriteProblems.Where(s => s != 428)], IfMatchRequired: false),
        ["GET /api/v1/municipalities/{code}/history"] = new("listMunicipalityHistory", [400, 401, 403, 404, 429]),
        ["GET /api/v1/municipalities/{code}/history.csv"] = new("exportMunicipalityHistoryCsv", [400, 401, 403, 404, 429]),
        ["GET /api/v1/export/municipalities.csv"] = new("exportMunicipalitiesCsv", [400, 401, 403, 429]),
    };

    /// <summary>Tag descriptions (Japanese first, English alongside).</summary>
    public static IReadOnlyDictionary<string, string> Tags { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Summaries"] = "全国・都道府県の集計とカタログ。サインインした全ロールが読めます。 / The catalog and the nation's and prefectures' aggregates, for every signed-in role.",
        ["Municipality"] = "市区町村1団体の全状態（ETag = 版）。本人・所属都道府県・国・管理者が読めます。 / One municipality's full state; its ETag is its version.",
        ["Reporting"] = "市区町村自身による報告（PUT は If-Match、POST /reports は Idempotency-Key が必要）。 / Reports by the municipality itself: PUT needs If-Match, POST /reports needs Idempotency-Key.",
        ["Audit trail"] = "変更履歴（誰が・いつ・何を）。追記のみ。 / The append-only audit trail of a municipality: who changed what, when.",
        ["Export"] = "CSV 出力（UTF-8 BOM 付き）。 / CSV exports (UTF-8 with BOM).",
        ["Planning"] = "完了時期の予測（P10/P50/P90）とシナリオ。 / Completion forecasts (P10/P50/P90) and what-if scenarios.",
        ["Administration"] = "運用（バックアップ）。管理者のみ。 / Operating the product (backups): administrators only.",
    };

    public static OpenApiOptions AddReadinessContract(this OpenApiOptions options)
    {
        options.AddSchemaTransformer((schema, context, _) =>
        {
            StrictNumbers(schema);
            EnumsWithoutNull(schema);
            if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(WireEnumAttribute), inherit: false) is [WireEnumAttribute wire, ..])
            {
                schema.Extensions ??= new Dictionary<string, IOpenApiExtension>(StringComparer.Ordinal);
                schema.Extensions[WireEnumMark] = new JsonNodeExtension(JsonValue.Create(wire.EnumType.Name));
                WireEnums[wire.EnumType.Name] = wire.EnumType;
            }

            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            ByEndpointRules(operation, context.Description);
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
            Apply(document);
            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>
    /// The request reader (<see cref="JsonBody"/>) refuses numbers written as strings and responses always write
    /// numbers, so "integer or numeric string" (the web defaults' AllowReadingFromString) would be a false promise
    /// that also gives generated clients a union type for every count.
    /// </summary>
    private static void StrictNumbers(OpenApiSchema schema)
    {
        if (schema.Type is { } type && (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0 && (type & JsonSchemaType.String) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
    }

    /// <summary>
    /// The generator lists null among an enum's values because some properties are nullable; those properties already
    /// say so (oneOf null or the enum), so the enum itself is its snake_case names only, as <see cref="WireEnumConverterFactory"/> reads them.
    /// </summary>
    private static void EnumsWithoutNull(OpenApiSchema schema)
    {
        if (schema.Enum is { Count: > 0 } values && values.Any(v => v is null || v.GetValueKind() == JsonValueKind.Null) && values.Any(v => v?.GetValueKind() == JsonValueKind.String))
        {
            schema.Enum = values.Where(v => v is not null && v.GetValueKind() == JsonValueKind.String).ToList();
            schema.Type = JsonSchemaType.String;
        }
    }

    private const string WireEnumMark = "x-readiness-wire-enum";

    /// <summary>The enums named by <see cref="WireEnumAttribute"/>, by schema name (one name per enum type in this product).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Type> WireEnums = new(StringComparer.Ordinal);

    /// <summary>
    /// A view's string member marked <see cref="WireEnumAttribute"/> becomes a reference to its enum's schema (the one
    /// the write bodies use; added when no body uses it), so a generated client reads the same enum it writes.
    /// </summary>
    private static void WireEnumReferences(OpenApiDocument document)
    {
        var schemas = document.Components!.Schemas!;
        foreach (var schema in schemas.Values.OfType<OpenApiSchema>().ToList())
        {
            foreach (var (name, property) in (schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).ToList())
            {
                if (property is not OpenApiSchema { Extensions: { } extensions } marked || !extensions.TryGetValue(WireEnumMark, out var mark)
                    || mark is not JsonNodeExtension { Node: { } node } || !WireEnums.TryGetValue(node.GetValue<string>(), out var type))
                {
                    continue;
                }

                if (!schemas.ContainsKey(type.Name))
                {
                    schemas[type.Name] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Enum = [.. Enum.GetNames(type).Select(n => (JsonNode)JsonValue.Create(JsonNamingPolicy.SnakeCaseLower.ConvertName(n)))],
                    };
                }

                var reference = new OpenApiSchemaReference(type.Name, document);
                schema.Properties![name] = marked.Type is { } t && (t & JsonSchemaType.Null) != 0
                    ? new OpenApiSchema { OneOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, reference], Description = marked.Description }
                    : reference;
            }
        }
    }

    private static void Apply(OpenApiDocument document)
    {
        document.Info.License = new OpenApiLicense
        {
            Name = "CC BY 4.0 (data: MIC PMO figures, Digital Agency designations, census, MLIT boundaries; see SOURCES.md)",
            Identifier = "CC-BY-4.0",
        };
        document.Info.Contact = new OpenApiContact
        {
            Name = "Readiness operators / 運用窓口",
            Url = new Uri("https://readiness.example/support"),
        };

        // Relative references in a generated client join the base URL and "/api/v1/…": a trailing slash doubles it.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas[ProblemErrorSchema] = ProblemErrorSchemaObject();
        document.Components.Schemas[ProblemSchema] = ProblemSchemaObject(document);
        WireEnumReferences(document);

        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                var key = $"{method.Method.ToUpperInvariant()} {path}";
                var spec = Operations.TryGetValue(key, out var known) ? known : null;
                Describe(document, path, method, operation, spec);
            }
        }

        var used = document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name).OfType<string>().ToHashSet(StringComparer.Ordinal);
        document.Tags = new HashSet<OpenApiTag>(used.Order(StringComparer.Ordinal).Select(name => new OpenApiTag
        {
            Name = name,
            Description = Tags.TryGetValue(name, out var description) ? description : name,
        }));
    }

    private static void Describe(OpenApiDocument document, string path, HttpMethod method, OpenApiOperation operation, OperationSpec? spec)
    {
        operation.OperationId = spec?.Id ?? operation.OperationId ?? DerivedId(method, path);
        operation.Parameters ??= [];
        operation.Responses ??= [];

        foreach (var parameter in operation.Parameters.OfType<OpenApiParameter>())
        {
            parameter.Description ??= ParameterDescription(parameter.Name);

            // Every ?prefecture= is read as two ASCII digits (QueryValue.PrefectureCodeShape): the schema says so, not only the words.
            if (parameter.In == ParameterLocation.Query && parameter.Name == "prefecture" && parameter.Schema is OpenApiSchema { Type: JsonSchemaType.String } or null)
            {
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]{2}$", MinLength = 2, MaxLength = 2 };
            }
        }

        if (spec?.IfMatchRequired is { } ifMatchRequired)
        {
            AddHeaderParameter(operation, IfMatch, ifMatchRequired, ifMatchRequired
                ? "読み取った時点の ETag（例: \"12\"）。ないと 428、古いと 412。 / The ETag you read (e.g. \"12\"): 428 without it, 412 when it changed since you read it."
                : "任意。指定すると版が一致する場合だけ反映（古いと 412）。 / Optional: apply only while the municipality is still at this version (412 when stale).", "\"12\"");
        }

        if (spec?.IdempotencyKeyRequired is { } keyRequired)
        {
            AddHeaderParameter(operation, WriteApi.IdempotencyKeyHeader, keyRequired,
                (keyRequired ? "必須。" : "任意。") + "再送しても二重に反映されないための一意なキー（例: UUID、1〜" + ReportingService.MaxIdempotencyKeyLength.ToString(CultureInfo.InvariantCulture)
                + "文字の可視 ASCII）。同じキーの再送は最初の結果を返し、別の本文なら 422。 / "
                + (keyRequired ? "Required. " : "Optional. ") + "A unique key (e.g. a UUID, 1 to " + ReportingService.MaxIdempotencyKeyLength.ToString(CultureInfo.InvariantCulture)
                + " visible ASCII characters): a repeat returns the first result and applies nothing again (header Idempotent-Replayed: true); the same key with another body is 422.",
                "5f0c8f0e-8a8e-4f7b-9d55-2f1f6c3a9b10");
        }

        var write = spec?.IfMatchRequired is not null;
        if (write && Ok(operation) is { } ok)
        {
            ok.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            ok.Headers[ETag] = ETagHeader("The municipality's new version; send it as If-Match with the next write.");
            ok.Headers[WriteApi.RequestIdHeader] = RequestIdHeader(required: true);
            ok.Headers[WriteApi.ReplayedHeader] = new OpenApiHeader
            {
                Description = "\"true\" when this answers a repeat of an Idempotency-Key already applied: nothing was applied again. Absent otherwise.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true")] },
            };
        }

        // A write that answers either its representation (200) or nothing (204) takes Prefer: return=minimal (RFC 7240).
        if (operation.Responses.TryGetValue("204", out var minimal) && minimal is OpenApiResponse noContent && operation.Responses.ContainsKey("200"))
        {
            AddHeaderParameter(operation, Preferences.PreferHeader, required: false,
                "任意（RFC 7240）。return=minimal なら反映後 204（本文なし、新しい ETag のみ）。 / Optional (RFC 7240): return=minimal answers an applied change 204 with the new ETag and no body; return=representation or none keeps the 200 answer.",
                Preferences.ReturnMinimal);
            noContent.Description = "No Content: applied, answered as Prefer: return=minimal asked (the new version is the ETag).";
            noContent.Headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal)
            {
                [ETag] = ETagHeader("The new version; send it as If-Match with the next write."),
                [WriteApi.RequestIdHeader] = RequestIdHeader(required: true),
                [Preferences.PreferenceAppliedHeader] = new OpenApiHeader
                {
                    Description = "The preference applied (RFC 7240).",
                    Required = true,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(Preferences.ReturnMinimal)] },
                },
                [WriteApi.ReplayedHeader] = new OpenApiHeader
                {
                    Description = "\"true\" when this answers a repeat of an Idempotency-Key already applied: nothing was applied again. Absent otherwise.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true")] },
                },
            };
        }

        // A body in another media type than the operation reads is 415 (MediaTypes), before anything else is read; here,
        // where every request body is in place (an upload's multipart body included, which POST /imports left undeclared).
        if (operation.RequestBody is not null)
        {
            operation.Responses.TryAdd("415", new OpenApiResponse());
        }

        // A read that answers 304, or a write that takes If-Match: its 412 carries the current ETag.
        var conditional = operation.Responses.ContainsKey("304") || operation.Parameters.Any(p => p.In == ParameterLocation.Header && p.Name == IfMatch);
        var statuses = (spec?.Problems ?? [401]).Concat(spec is { Grain: false } ? [500] : [500, 503])
            .Concat(operation.Responses.Keys.Where(k => k.Length == 3 && k[0] is '4' or '5').Select(k => int.Parse(k, CultureInfo.InvariantCulture)))
            .Distinct().Order();
        foreach (var status in statuses)
        {
            operation.Responses[status.ToString(CultureInfo.InvariantCulture)] = ProblemResponse(document, status, write, spec, conditional);
        }

        // Status order (2xx, 304, 4xx, 5xx) for readers; the generator adds ProducesProblem responses before Produces.
        var ordered = operation.Responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (status, response) in ordered)
        {
            operation.Responses[status] = response;
        }

        foreach (var (_, response) in operation.Responses)
        {
            if (response is OpenApiResponse { Content: { } content })
            {
                foreach (var (mediaType, media) in content)
                {
                    AddBodyExample(document, mediaType, media);
                }
            }
        }

        if (operation.RequestBody is OpenApiRequestBody { Content: { } requestContent })
        {
            foreach (var (mediaType, media) in requestContent)
            {
                AddBodyExample(document, mediaType, media);
            }
        }

        // Every /api answer carries X-Request-Id (RequestIds), refusals too; a 201 names what it made in Location.
        if (path.StartsWith("/api/", StringComparison.Ordinal))
        {
            foreach (var (status, response) in operation.Responses)
            {
                if (response is not OpenApiResponse declared)
                {
                    continue;
                }

                declared.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
                declared.Headers.TryAdd(WriteApi.RequestIdHeader, AnyRequestIdHeader());
                if (status == "201")
                {
                    declared.Headers.TryAdd(Location, new OpenApiHeader
                    {
                        Description = "The address of the resource made (RFC 9110 §10.2.2), relative to the server.",
                        Required = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
                    });
                }
            }
        }
    }

    private const string Location = "Location";

    private static OpenApiHeader AnyRequestIdHeader() => new()
    {
        Description = "This request's id, to quote to the operators: the X-Request-Id sent when it is 1-" + RequestIds.MaxLength.ToString(CultureInfo.InvariantCulture)
            + " visible ASCII characters, else the server's trace id (the problem's traceId). A write's answer carries the change request's id (see the write's 200 or 204).",
        Required = true,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = RequestIds.MaxLength },
        Example = JsonValue.Create("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    };

    /// <summary>
    /// What the endpoint's own metadata and route say the server answers, declared for every operation alike (the
    /// document transformer then gives each 4xx its problem body): a GET marked <see cref="ConditionalRead"/> takes
    /// If-None-Match (304 + ETag) and If-Match (412), and 400 for a malformed one; a path parameter that
    /// <see cref="PathValues"/> checks can be 400 invalid_path_value; a rate-limited endpoint can be 429 with Retry-After.
    /// </summary>
    private static void ByEndpointRules(OpenApiOperation operation, Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription description)
    {
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var route = "/" + description.RelativePath;
        operation.Parameters ??= [];
        operation.Responses ??= [];

        if (metadata.OfType<ConditionalRead>().Any() && HttpMethods.IsGet(description.HttpMethod ?? string.Empty))
        {
            AddHeaderParameter(operation, IfNoneMatch, required: false,
                "前回の ETag。変わっていなければ 304（本文なし）。 / The ETag you hold: 304 Not Modified (no body) while it is still current.", "\"12\"");
            AddHeaderParameter(operation, IfMatch, required: false,
                "任意。この ETag のときだけ返します（違えば 412）。 / Optional: answer only while the resource is at this ETag (412 otherwise).", "\"12\"");
            Ok(operation).Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            Ok(operation).Headers![ETag] = ETagHeader("The version of this response (a strong ETag); send it as If-None-Match to revalidate" + (route.StartsWith("/api/v1/municipalities/", StringComparison.Ordinal) || route.StartsWith("/api/v1/prefectures/{prefCode}/systems", StringComparison.Ordinal)
                ? " and as If-Match to write. A view with day-dependent flags (stale, overdue, past target) whose flags have turned since the version was made carries the version and a digest of the flags (\"12-5be0c1a7\"); If-Match takes it as the version."
                : "."));
            operation.Responses["304"] = new OpenApiResponse
            {
                Description = "Not Modified: the If-None-Match ETag is still current (no body).",
                Headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal) { [ETag] = ETagHeader("The current version (unchanged).") },
            };
            operation.Responses.TryAdd("400", new OpenApiResponse());
            operation.Responses.TryAdd("412", new OpenApiResponse());
        }

        // Every write under /api answers If-Match and If-None-Match against its target's ETag (ConditionalWrite): declared
        // on each, with the 412 that carries the current ETag (round 48: the content-tagged writes declared neither).
        // A write whose If-Match the contract describes itself (a municipality's, required) keeps that description.
        if (metadata.OfType<ConditionalWrite>().FirstOrDefault() is { } conditionalWrite && description.HttpMethod is { } writeMethod && !HttpMethods.IsGet(writeMethod))
        {
            var target = conditionalWrite.Target;
            if (!(Operations.TryGetValue($"{writeMethod.ToUpperInvariant()} {route}", out var known) && known.IfMatchRequired is not null))
            {
                AddHeaderParameter(operation, IfMatch, required: false,
                    $"任意。{target} の ETag のときだけ実行します（違えば 412、現在の ETag 付き）。 / Optional: act only while {target} answers this ETag (412 with the current ETag otherwise).", "\"12\"");
            }

            AddHeaderParameter(operation, IfNoneMatch, required: false,
                $"任意。* なら対象があれば 412、ETag なら {target} がその ETag なら 412（何もしません）。 / Optional: * is 412 when the target exists; a tag, 412 while {target} answers it (nothing done).", "*");
            operation.Responses.TryAdd("400", new OpenApiResponse());
            operation.Responses.TryAdd("412", new OpenApiResponse());
        }

        if (RouteParameter().Matches(route).Any(m => PathValues.For(route, m.Groups["name"].Value) is not null))
        {
            operation.Responses.TryAdd("400", new OpenApiResponse());
        }

        // A path value names a municipality, system, item, webhook, notification, import…: a well-formed one that names
        // nothing is 404 (round 50: webhook DELETE and notification retry/read answered it undeclared). A prefecture
        // code is the exception: every well-formed one (01-47) names a prefecture.
        if (RouteParameter().Matches(route).Any(m => m.Groups["name"].Value != "prefCode"))
        {
            operation.Responses.TryAdd("404", new OpenApiResponse());
        }

        if (metadata.OfType<Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute>().Any()
            && !metadata.OfType<Microsoft.AspNetCore.RateLimiting.DisableRateLimitingAttribute>().Any())
        {
            operation.Responses.TryAdd("429", new OpenApiResponse());
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{\*?(?<name>[A-Za-z]+)[^}]*\}")]
    private static partial System.Text.RegularExpressions.Regex RouteParameter();

    private static OpenApiResponse Ok(OpenApiOperation operation) =>
        operation.Responses!.TryGetValue("200", out var ok) && ok is OpenApiResponse response ? response : (OpenApiResponse)(operation.Responses["200"] = new OpenApiResponse { Description = "OK" });

    private static string DerivedId(HttpMethod method, string path)
    {
        var words = path.Split(['/', '.', '-', '{', '}'], StringSplitOptions.RemoveEmptyEntries).Where(w => w is not "api" and not "v1");
        return method.Method.ToLowerInvariant() + string.Concat(words.Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
    }

    private static string? ParameterDescription(string? name) => name switch
    {
        "code" => "6桁の全国地方公共団体コード（末尾は検査数字）。 / The 6-digit local government code (the last digit is a check digit), e.g. 131016.",
        "prefCode" => "2桁の都道府県コード（01〜47）。 / The 2-digit prefecture code, 01-47.",
        "businessId" => "標準化対象20業務の ID（GET /catalog の systems）。 / One of the 20 business systems' ids (GET /catalog), e.g. koseki.",
        "itemId" => "セキュリティチェックリスト項目の ID（GET /catalog の securityItems）。 / A security checklist item's id (GET /catalog), e.g. SEC-1-01.",
        "from" => $"開始日 YYYY-MM-DD（既定: 終了日の29日前）。to 以前で、to までの期間は{HistoryApi.MaxDays}日以内。 / First day, YYYY-MM-DD (default: 29 days before 'to'); not after 'to', and at most {HistoryApi.MaxDays} days from 'to', both included.",
        "to" => $"終了日 YYYY-MM-DD（既定: 今日・日本時間）。from 以後で、from からの期間は{HistoryApi.MaxDays}日以内。 / Last day, YYYY-MM-DD (default: today in Japan); not before 'from', and at most {HistoryApi.MaxDays} days after 'from', both included.",
        "limit" => "1ページの件数 1〜200（既定 50）。 / Entries per page, 1 to 200 (default 50).",
        "cursor" => "前のページの nextCursor。 / nextCursor of the previous page.",
        "prefecture" => "2桁の都道府県コード（都道府県職員は既定で自県）。 / A 2-digit prefecture code (a prefecture's staff get their own by default).",
        _ => null,
    };

    private static void AddHeaderParameter(OpenApiOperation operation, string name, bool required, string description, string example)
    {
        if (operation.Parameters!.Any(p => p.In == ParameterLocation.Header && string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        operation.Parameters!.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Header,
            Required = required,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            Example = JsonValue.Create(example),
        });
    }

    private static OpenApiHeader ETagHeader(string description) => new()
    {
        Description = description,
        Required = true,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        Example = JsonValue.Create("\"12\""),
    };

    private static OpenApiHeader RequestIdHeader(bool required) => new()
    {
        Description = "The change request's id: the Idempotency-Key when one was sent, else a generated req-… id; recorded in the audit trail.",
        Required = required,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        Example = JsonValue.Create("req-01a214caf69079fda7f38337afe9f60c"),
    };

    private static OpenApiHeader RetryAfterHeader(string description) => new()
    {
        Description = description,
        Required = true,
        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
        Example = JsonValue.Create(2),
    };

    private static OpenApiResponse ProblemResponse(OpenApiDocument document, int status, bool write, OperationSpec? spec, bool conditional)
    {
        var (description, field, code) = status switch
        {
            400 => ("Bad Request: a path, query, header or body value is malformed; errors[].field names it. A path value that cannot be that kind of identifier (a municipality code that is not 6 digits ending in its check digit, a prefecture code outside 01-47) is invalid_path_value naming the route parameter.", "code", "invalid_path_value"),
            401 => ("Unauthorized: no bearer token, or an invalid or expired one.", "Authorization", "missing_token"),
            403 => ("Forbidden: signed in, but this tenant or role may not do this (forbidden_tenant), or the credentials are read-only: a viewer account or an API client with the read scope (insufficient_scope).", "code", "forbidden_tenant"),
            404 => ("Not Found: a well-formed code or id that names nothing (no municipality, business system, checklist item or other resource has it).", "code", "not_found"),
            412 => ("Precondition Failed: If-Match is stale (it changed since it was read, by someone else or by the caller from another tab or program), or names no version (a weak W/ tag never matches: RFC 9110 strong comparison). Nothing was saved; the ETag header carries the current version: read, review and write again.", IfMatch, "version_conflict"),
            413 => ("Payload Too Large: the body is over the endpoint's limit (256 KiB for one system or item and for a report, 16 KiB for a small JSON document, an upload's own for a file). The message says how to fit what was sent: shorten the text; when the body holds \\u-escaped Japanese, send it as raw UTF-8 (6 bytes a character instead of 3); for a report only, split it into several; for a file far larger than a reporting template, where official data is imported.", "body", "too_large"),
            415 => ("Unsupported Media Type: send the body as application/json.", "Content-Type", "unsupported_media_type"),
            422 => ("Unprocessable Entity: a domain rule refused the change (e.g. a phase moved back without a reason), or the Idempotency-Key was reused with another body. Nothing was saved.", "regressionReason", "regression_reason_required"),
            428 => ("Precondition Required: send If-Match with the ETag you read.", IfMatch, "precondition_required"),
            429 => ("Too Many Requests: over your organisation's per-minute limit; retry after Retry-After seconds.", "rate", "rate_limited"),
            500 => ("Internal Server Error: an unexpected fault (a bug). Nothing half-applied: a write is applied whole or not at all.", "request", "internal_error"),
            503 => ("Service Unavailable: storage or a silo is briefly unavailable. Send the same request again after Retry-After seconds (writes are idempotent).", "service", "unavailable"),
            _ => (Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) + ".", "request", "invalid"),
        };
        var response = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                [ProblemJson] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchemaReference(ProblemSchema, document),
                    Example = ProblemExample(status, field, code),
                },
            },
        };
        var headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
        if (status is 429 or 503)
        {
            headers[RetryAfter] = RetryAfterHeader("Seconds to wait before sending the same request again.");
        }

        if (status == 412 && spec?.IfMatchRequired is not null)
        {
            headers[ETag] = ETagHeader("The municipality's current version.");
        }
        else if (status == 412 && conditional)
        {
            headers[ETag] = ETagHeader("The current version, which the If-Match did not name.");
        }

        if (write && status is 400 or 403 or 404 or 412 or 422)
        {
            headers[WriteApi.RequestIdHeader] = RequestIdHeader(required: false);
        }

        if (headers.Count > 0)
        {
            response.Headers = headers;
        }

        return response;
    }

    private static JsonObject ProblemExample(int status, string field, string code) => new JsonObject
    {
        ["type"] = $"https://readiness.example/problems/{status.ToString(CultureInfo.InvariantCulture)}",
        ["title"] = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
        ["status"] = status,
        ["detail"] = ProblemMessages(status).Ja + " / " + ProblemMessages(status).En,
        ["errors"] = new JsonArray(new JsonObject
        {
            ["field"] = field,
            ["code"] = code,
            ["messageJa"] = ProblemMessages(status).Ja,
            ["messageEn"] = ProblemMessages(status).En,
        }),
    };

    private static (string Ja, string En) ProblemMessages(int status) => status switch
    {
        400 => ("団体コード「13101」が正しくありません（6桁、末尾は検査数字）。", "'13101' is not a valid 6-digit local government code (the last digit is a check digit)."),
        401 => ("サインインが必要です（Authorization: Bearer トークン）。", "Sign-in required: send Authorization: Bearer <token>."),
        403 => ("団体コード「271004」のデータを更新する権限がありません（更新できるのは自団体のみです）。", "You may not change the data of '271004': only the municipality itself reports its data."),
        404 => ("団体コード「131008」の市区町村はありません。", "No municipality has the code '131008'."),
        412 => ("読み取った版の後に更新されています（現在の版: 13）。他の人か、別の画面・プログラムでのあなた自身の保存です。最新の内容を確認してから再度保存してください。", "This changed after the version you read (current version 13), by someone else or by you from another tab, window or program. Review the latest data and save again."),
        413 => BodyLimit.OneRecord.Messages,
        415 => ("本文は JSON（Content-Type: application/json）で送ってください。", "Send the body as JSON (Content-Type: application/json)."),
        422 => ("フェーズを戻す場合は理由を入力してください。", "A reason is required when the phase moves backwards."),
        428 => ("If-Match ヘッダーに、取得した時点の ETag（例: \"12\"）を指定してください。", "Send If-Match with the ETag you read (e.g. \"12\"), so that nobody's change is overwritten unseen."),
        429 => ("リクエストが多すぎます。30秒後に再度お試しください。", "Too many requests for your organisation. Retry after 30 seconds."),
        503 => ("一時的に処理できません。", "Temporarily unavailable."),
        _ => ("処理できませんでした。", "The request could not be processed."),
    };

    private static OpenApiSchema ProblemErrorSchemaObject() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "One fault: the field at fault (a JSON path, a header or a route value), a stable machine code, and the message in Japanese and English.",
        Required = new HashSet<string>(StringComparer.Ordinal) { "field", "code", "messageJa", "messageEn" },
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["field"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "e.g. systems[0].phase, If-Match, code." },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "e.g. required, unknown_value, version_conflict." },
            ["messageJa"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["messageEn"] = new OpenApiSchema { Type = JsonSchemaType.String },
        },
    };

    private static OpenApiSchema ProblemSchemaObject(OpenApiDocument document) => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details. Every 4xx/5xx of this API has this shape; errors[] names each field at fault in Japanese and English.",
        Required = new HashSet<string>(StringComparer.Ordinal) { "title", "status" },
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "A URI naming the kind of problem." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The messages in Japanese and English." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "W3C trace id, to find the request in the logs." },
            ["errors"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference(ProblemErrorSchema, document) },
        },
    };

    private static void AddBodyExample(OpenApiDocument document, string mediaType, OpenApiMediaType media)
    {
        if (media.Example is not null || (media.Examples?.Count ?? 0) > 0)
        {
            return;
        }

        if (mediaType.StartsWith("text/csv", StringComparison.Ordinal))
        {
            media.Example = JsonValue.Create(CsvExample);
        }
        else if (media.Schema is OpenApiSchemaReference { Reference.Id: { } id } && ContractExamples.ForSchema(id) is { } example)
        {
            media.Example = example;
        }
    }

    private const string CsvExample = "code,prefecture_code,prefecture,municipality,business_id,business,phase\r\n131016,13,東京都,千代田区,koseki,戸籍,in_production\r\n";
}

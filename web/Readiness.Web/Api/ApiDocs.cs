using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Readiness.Web.Api.OpenApi;
using Readiness.Web.Clients;

namespace Readiness.Web.Api;

/// <summary>
/// The OpenAPI v1 document: title, how to authenticate, and two security schemes: <c>Bearer</c> (a person's or a
/// local token) on every operation, and <c>ApiClient</c> (OAuth 2.0 client credentials at /connect/token, scopes
/// read and write) on the operations an API client may call, with the scope each needs (<see cref="ClientScopeOf"/>).
/// </summary>
public static class ApiDocs
{
    /// <summary>The security scheme of people's and local tokens (a JWT).</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>The security scheme of API clients (OAuth 2.0 client credentials, tokens from /connect/token).</summary>
    public const string ApiClientScheme = "ApiClient";

    /// <summary>Where only people may call: API clients never act as national staff or administrators, and have no inbox.</summary>
    private static readonly string[] PeopleOnly = ["/api/v1/admin/", "/api/v1/imports", "/api/v1/scenarios", "/api/v1/notifications", "/api/v1/nation/changes"];

    /// <summary>
    /// The scope an API client's token needs for an operation, or null when no API client may call it. API clients act
    /// as a municipality or a prefecture (never national staff nor administrators), so administration, official
    /// imports, planning scenarios and the nation's changes are for people only, as is the notification inbox (a person's own); a read
    /// (GET, HEAD) needs <c>read</c>, a change <c>write</c>, and so does the reporting template (a writer's form,
    /// refused to read-only callers as a change is). Source of the rules: ReadinessCaller.CanWriteMunicipality,
    /// CanWritePrefectureRun and the endpoints' policies; AuthorizationMatrixTests holds the document to them.
    /// </summary>
    /// <param name="method">The HTTP method, any case.</param>
    /// <param name="path">The route as the document names it, e.g. "/api/v1/municipalities/{code}".</param>
    public static string? ClientScopeOf(string method, string path)
    {
        if (PeopleOnly.Any(prefix => path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return null;
        }

        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        return read && !path.EndsWith("/template.xlsx", StringComparison.Ordinal) ? "read" : "write";
    }

    public static IServiceCollection AddReadinessOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Readiness API",
                Version = "v1",
                Description = """
                    自治体システム標準化・ガバメントクラウド移行の進捗と情報セキュリティ対策の報告 API。
                    Municipalities report their 20 business systems and security checklist; prefectures and the nation read.

                    Authentication: `Authorization: Bearer <JWT>` with claims `sub`, `role` (municipality, prefecture, national, admin)
                    and `tenant` (6-digit municipality code or 2-digit prefecture code). Locally:
                    `dotnet run --project web/Readiness.Web -- token --role municipality --code 131016`.
                    API clients (created by an administrator at POST /api/v1/admin/clients) take a token at `/connect/token`
                    (OAuth 2.0 client credentials, scope `read` or `write`) and send it the same way; each operation names
                    the scope it needs under the `ApiClient` scheme, and operations without it are for people only.

                    Writes: PUT needs `If-Match` with the ETag of GET /municipalities/{code} (428 without, 412 when stale);
                    POST /reports needs `Idempotency-Key` (a replay returns the first result and applies nothing again;
                    the same key with a different body is 422). Errors are RFC 9457 problem details with
                    `errors: [{field, code, messageJa, messageEn}]`.
                    """,
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A JWT from the configured OpenID Connect provider, or a local token from the `token` command.",
            };
            document.Components.SecuritySchemes[ApiClientScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.OAuth2,
                Description = "An API client's token: POST /connect/token with grant_type=client_credentials, client_id, client_secret and scope; it lasts at most 10 minutes. / API クライアントのトークン（クライアントクレデンシャル）。",
                Flows = new OpenApiOAuthFlows
                {
                    // Relative: resolved against the server URL (OpenAPI 3.1 §4.3), so the document holds on every host.
                    ClientCredentials = new OpenApiOAuthFlow
                    {
                        TokenUrl = new Uri(ClientsSetup.TokenPath, UriKind.Relative),
                        Scopes = new Dictionary<string, string>(StringComparer.Ordinal)
                        {
                            ["read"] = "読み取り（その団体の状態・集計・出力） / Read the client's tenant, the summaries and exports.",
                            ["write"] = "報告（read を含む。その団体として） / Report as the tenant's staff do (includes read).",
                        },
                    },
                },
            };
            var bearer = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] };
            document.Security = [bearer];
            foreach (var (path, item) in document.Paths)
            {
                foreach (var (method, operation) in item.Operations ?? [])
                {
                    operation.Security = ClientScopeOf(method.Method, path) is { } scope
                        ? [bearer, new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiClientScheme, document)] = [scope] }]
                        : [bearer];
                }
            }

            return Task.CompletedTask;
        }).AddReadinessContract());
}

using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Readiness.Web.Api.OpenApi;

namespace Readiness.Web.Api;

/// <summary>The OpenAPI v1 document: title, how to authenticate, and the bearer scheme for every operation.</summary>
public static class ApiDocs
{
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

                    Writes: PUT needs `If-Match` with the ETag of GET /municipalities/{code} (428 without, 412 when stale);
                    POST /reports needs `Idempotency-Key` (a replay returns the first result and applies nothing again;
                    the same key with a different body is 422). Errors are RFC 9457 problem details with
                    `errors: [{field, code, messageJa, messageEn}]`.
                    """,
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["Bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A JWT from the configured OpenID Connect provider, or a local token from the `token` command.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", document)] = [] }];
            return Task.CompletedTask;
        }).AddReadinessContract());
}

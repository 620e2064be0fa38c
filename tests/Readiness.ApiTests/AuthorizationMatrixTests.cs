using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every endpoint of the application × every kind of caller, own and other tenant, with the status each must get.
/// The table below names each endpoint by method and route pattern with its access rule; <see
/// cref="Every_endpoint_of_the_application_is_in_the_table"/> compares it with the running host's own endpoint list
/// (<see cref="EndpointDataSource"/>), so an endpoint added without an expectation here fails the build's tests.
/// The target is always 千代田区 (131016, Tokyo 13); "other" callers are 中央区 (same prefecture), 大阪市 and Osaka
/// prefecture (27).
/// </summary>
public sealed class AuthorizationMatrixTests(WarmApiHost host) : IClassFixture<WarmApiHost>
{
    private const string Target = ApiHost.Chiyoda;

    /// <summary>A well-formed import id (SHA-256 hex) that no upload has.</summary>
    private const string NoImport = "0000000000000000000000000000000000000000000000000000000000000000";

    private static readonly string[] Callers =
    [
        "anonymous", "forged_token", "expired_token", "system_role", "municipality_without_tenant",
        "municipality_own", "municipality_other_same_prefecture", "municipality_other_prefecture",
        "prefecture_own", "prefecture_other", "national", "admin", "admin_with_padded_subject",
    ];

    /// <summary>Who may call an endpoint (the policies of Auth/TenantAuthorization.cs, or none).</summary>
    public enum Access
    {
        /// <summary>No authorization: every caller gets the endpoint's own answer.</summary>
        Public,

        /// <summary>Every valid signed-in role (anonymous summaries are off by default).</summary>
        Summaries,

        /// <summary>The municipality itself, its prefecture, national, admin.</summary>
        MunicipalityRead,

        /// <summary>Only the municipality itself.</summary>
        MunicipalityWrite,

        /// <summary>Detailed export of prefecture 13: that prefecture, national, admin.</summary>
        ExportOwnPrefecture,

        /// <summary>Detailed export without a prefecture: any prefecture (its own), national, admin.</summary>
        ExportDefault,

        /// <summary>Planning scenarios: national staff and administrators.</summary>
        PlanningScenarios,

        /// <summary>Operating the product (backups): administrators only.</summary>
        Administration,

        /// <summary>Official imports: national staff and administrators.</summary>
        OfficialImport,

        /// <summary>Prefecture 13's own prefecture-run systems in full: that prefecture, national, admin.</summary>
        PrefectureRunRead,

        /// <summary>Reporting prefecture 13's own prefecture-run systems: only that prefecture's staff.</summary>
        PrefectureRunWrite,

        /// <summary>The changes across prefecture 13's municipalities: that prefecture, national, admin.</summary>
        PrefectureChanges,

        /// <summary>The changes across the nation's municipalities: national staff and administrators.</summary>
        NationChanges,
    }

    /// <summary>
    /// One request to one endpoint. <paramref name="Method"/> and <paramref name="Pattern"/> are the endpoint as the
    /// application lists it ("*" for an endpoint without a method constraint); <paramref name="Success"/> is what an
    /// allowed caller gets for this request (e.g. 400 for a dashboard form sent without its antiforgery token: it
    /// got past authorization); <paramref name="Writes"/> marks requests that change the target when allowed.
    /// </summary>
    public sealed record Row(string Method, string Pattern, Access Access, string Path, int Success = 200, bool Writes = false, string? Body = null, string? Form = null)
    {
        public string Name => $"{Method} {Path}";

        /// <summary>A form post is a person's browser: refusals are the sign-in redirect (302) and the 403 page, not problem details.</summary>
        public bool Browser => Form is not null;
    }

    private static readonly Row[] Matrix =
    [
        // The API: summaries, a municipality, its history, writes, exports, the live stream, the daily trend.
        new("GET", "/api/v1/catalog", Access.Summaries, "/api/v1/catalog"),
        new("GET", "/api/v1/nation", Access.Summaries, "/api/v1/nation"),
        new("GET", "/api/v1/nation/history", Access.Summaries, "/api/v1/nation/history"),
        new("GET", "/api/v1/prefectures", Access.Summaries, "/api/v1/prefectures"),
        new("GET", "/api/v1/prefectures/{prefCode}", Access.Summaries, "/api/v1/prefectures/13"),
        new("GET", "/api/v1/prefectures/{prefCode}/systems", Access.PrefectureRunRead, "/api/v1/prefectures/13/systems"),
        new("GET", "/api/v1/prefectures/{prefCode}/systems/{businessId}", Access.PrefectureRunRead, "/api/v1/prefectures/13/systems/public_assistance"),
        new("GET", "/api/v1/prefectures/{prefCode}/systems/history", Access.PrefectureRunRead, "/api/v1/prefectures/13/systems/history"),
        new("GET", "/api/v1/prefectures/{prefCode}/systems/history.csv", Access.PrefectureRunRead, "/api/v1/prefectures/13/systems/history.csv"),
        new("GET", "/api/v1/prefectures/{prefCode}/changes", Access.PrefectureChanges, "/api/v1/prefectures/13/changes"),
        new("GET", "/api/v1/nation/changes", Access.NationChanges, "/api/v1/nation/changes"),
        new("GET", "/api/v1/prefectures/{prefCode}/changes.csv", Access.PrefectureChanges, "/api/v1/prefectures/13/changes.csv"),
        new("GET", "/api/v1/nation/changes.csv", Access.NationChanges, "/api/v1/nation/changes.csv"),

        // Without a body an allowed caller gets 415 (past authorization, nothing written); everyone else 401/403.
        new("PUT", "/api/v1/prefectures/{prefCode}/systems/{businessId}", Access.PrefectureRunWrite, "/api/v1/prefectures/13/systems/public_assistance", Success: 415),
        new("PATCH", "/api/v1/prefectures/{prefCode}/systems/{businessId}", Access.PrefectureRunWrite, "/api/v1/prefectures/13/systems/public_assistance", Success: 415),
        new("GET", "/api/v1/stream", Access.Summaries, "/api/v1/stream"),
        new("GET", "/api/v1/municipalities/{code}", Access.MunicipalityRead, $"/api/v1/municipalities/{Target}"),
        new("GET", "/api/v1/municipalities/{code}/history", Access.MunicipalityRead, $"/api/v1/municipalities/{Target}/history"),
        new("GET", "/api/v1/municipalities/{code}/history.csv", Access.MunicipalityRead, $"/api/v1/municipalities/{Target}/history.csv"),
        new("PUT", "/api/v1/municipalities/{code}/systems/{businessId}", Access.MunicipalityWrite, $"/api/v1/municipalities/{Target}/systems/child_allowance",
            Writes: true, Body: """{"phase":"in_production","hosting":"government_cloud","regressionReason":"authorization matrix"}"""),
        new("PUT", "/api/v1/municipalities/{code}/security/{itemId}", Access.MunicipalityWrite, $"/api/v1/municipalities/{Target}/security/SEC-2-01",
            Writes: true, Body: """{"status":"implemented"}"""),
        new("POST", "/api/v1/municipalities/{code}/reports", Access.MunicipalityWrite, $"/api/v1/municipalities/{Target}/reports",
            Writes: true, Body: """{"security":[{"itemId":"SEC-2-02","status":"partial"}]}"""),
        new("GET", "/api/v1/export/municipalities.csv", Access.ExportOwnPrefecture, "/api/v1/export/municipalities.csv?prefecture=13"),
        new("GET", "/api/v1/export/municipalities.csv", Access.ExportDefault, "/api/v1/export/municipalities.csv"),
        new("GET", "/api/v1/prefectures/{prefCode}/municipalities.csv", Access.Summaries, "/api/v1/prefectures/13/municipalities.csv"),
        new("GET", "/api/v1/municipalities/{code}/systems/{businessId}", Access.MunicipalityRead, $"/api/v1/municipalities/{Target}/systems/koseki"),
        new("GET", "/api/v1/municipalities/{code}/security/{itemId}", Access.MunicipalityRead, $"/api/v1/municipalities/{Target}/security/SEC-1-01"),
        new("PATCH", "/api/v1/municipalities/{code}/systems/{businessId}", Access.MunicipalityWrite, $"/api/v1/municipalities/{Target}/systems/resident_registry",
            Writes: true, Body: """{"hosting":"government_cloud"}"""),
        new("PATCH", "/api/v1/municipalities/{code}/security/{itemId}", Access.MunicipalityWrite, $"/api/v1/municipalities/{Target}/security/SEC-2-03",
            Writes: true, Body: """{"status":"implemented"}"""),
        new("GET", "/api/v1/forecast/nation", Access.Summaries, "/api/v1/forecast/nation"),
        new("GET", "/api/v1/forecast/prefectures/{prefCode}", Access.Summaries, "/api/v1/forecast/prefectures/13"),
        new("GET", "/api/v1/forecast/municipalities/{code}", Access.MunicipalityRead, $"/api/v1/forecast/municipalities/{Target}"),
        new("GET", "/api/v1/forecast/coverage", Access.Summaries, "/api/v1/forecast/coverage"),
        new("GET", "/api/v1/vendors", Access.Summaries, "/api/v1/vendors"),
        new("GET", "/api/v1/vendors/prefectures/{prefCode}", Access.Summaries, "/api/v1/vendors/prefectures/13"),
        new("GET", "/api/v1/scenarios/", Access.PlanningScenarios, "/api/v1/scenarios"),
        new("GET", "/api/v1/scenarios/{scenario}", Access.PlanningScenarios, "/api/v1/scenarios/matrix-none", Success: 404),
        new("POST", "/api/v1/scenarios/", Access.PlanningScenarios, "/api/v1/scenarios", Success: 400, Body: "{"),
        new("DELETE", "/api/v1/scenarios/{scenario}", Access.PlanningScenarios, "/api/v1/scenarios/matrix-none", Success: 404),
        new("GET", "/api/v1/admin/backups/", Access.Administration, "/api/v1/admin/backups"),
        new("POST", "/api/v1/admin/backups/", Access.Administration, "/api/v1/admin/backups", Success: 201),
        new("GET", "/api/v1/admin/backups/{name}", Access.Administration, "/api/v1/admin/backups/readiness-20000101T000000Z.db", Success: 404),
        new("GET", "/api/v1/admin/clients/", Access.Administration, "/api/v1/admin/clients"),
        new("POST", "/api/v1/admin/clients/", Access.Administration, "/api/v1/admin/clients", Success: 201,
            Body: $$"""{"name":"matrix client","tenant":"131016","scope":"read","expiresAt":"{{DateTime.UtcNow.AddDays(30):yyyy-MM-dd}}T00:00:00Z"}"""),
        new("GET", "/api/v1/admin/clients/{clientId}", Access.Administration, "/api/v1/admin/clients/rc_matrix_none", Success: 404),
        new("POST", "/api/v1/admin/clients/{clientId}/secret", Access.Administration, "/api/v1/admin/clients/rc_matrix_none/secret", Success: 404),
        new("DELETE", "/api/v1/admin/clients/{clientId}", Access.Administration, "/api/v1/admin/clients/rc_matrix_none", Success: 404),
        new("GET", "/api/v1/notifications/", Access.Summaries, "/api/v1/notifications"),
        new("POST", "/api/v1/notifications/{id}/read", Access.Summaries, "/api/v1/notifications/ntf_none/read", Success: 404),
        new("GET", "/api/v1/notifications/preferences", Access.Summaries, "/api/v1/notifications/preferences"),
        new("PUT", "/api/v1/notifications/preferences", Access.Summaries, "/api/v1/notifications/preferences", Body: """{"items":[]}"""),
        new("GET", "/api/v1/admin/notifications", Access.Administration, "/api/v1/admin/notifications"),
        new("POST", "/api/v1/admin/notifications/{id}/retry", Access.Administration, "/api/v1/admin/notifications/ntf_none/retry", Success: 404),
        new("POST", "/api/v1/admin/digests/{prefCode}", Access.Administration, "/api/v1/admin/digests/99", Success: 400),
        new("GET", "/api/v1/admin/webhooks", Access.Administration, "/api/v1/admin/webhooks"),
        new("POST", "/api/v1/admin/webhooks", Access.Administration, "/api/v1/admin/webhooks", Success: 400, Body: "{"),
        new("GET", "/api/v1/admin/webhooks/{id}", Access.Administration, "/api/v1/admin/webhooks/wh_none", Success: 404),
        new("DELETE", "/api/v1/admin/webhooks/{id}", Access.Administration, "/api/v1/admin/webhooks/wh_none", Success: 404),
        new("POST", "/unsubscribe", Access.Public, "/unsubscribe?token=forged.x", Success: 400),
        new("GET", "/unsubscribe", Access.Public, "/unsubscribe?token=forged.x", Success: 302),
        new("GET", "/notifications/unsubscribe", Access.Public, "/notifications/unsubscribe?token=forged.x", Success: 400),
        new("POST", "/api/v1/imports/", Access.OfficialImport, "/api/v1/imports", Success: 415, Body: "{}"),
        new("GET", "/api/v1/imports/", Access.OfficialImport, "/api/v1/imports", Success: 200),
        new("GET", "/api/v1/imports/{id}", Access.OfficialImport, "/api/v1/imports/" + NoImport, Success: 404),
        new("POST", "/api/v1/imports/{id}/apply", Access.OfficialImport, $"/api/v1/imports/{NoImport}/apply", Success: 404),
        new("GET", "/api/v1/reconciliation", Access.Summaries, "/api/v1/reconciliation?kind=designated_only_official"),
        new("GET", "/api/v1/reconciliation.csv", Access.Summaries, "/api/v1/reconciliation.csv?business=koseki"),
        new("GET", "/api/v1/municipalities/{code}/template.xlsx", Access.MunicipalityWrite, $"/api/v1/municipalities/{Target}/template.xlsx"),
        new("POST", "/api/v1/municipalities/{code}/template/preview", Access.MunicipalityWrite, $"/api/v1/municipalities/{Target}/template/preview", Success: 415, Body: "{}"),
        new("POST", "/api/v1/municipalities/{code}/template/apply", Access.MunicipalityWrite, $"/api/v1/municipalities/{Target}/template/apply", Success: 415, Body: "{}"),
        new("GET", "/api/v1/prefectures/{prefCode}/municipalities.xlsx", Access.Summaries, "/api/v1/prefectures/13/municipalities.xlsx"),
        new("GET", "/api/v1/export/municipalities.xlsx", Access.ExportOwnPrefecture, "/api/v1/export/municipalities.xlsx?prefecture=13"),
        new("GET", "/api/v1/export/municipalities.xlsx", Access.ExportDefault, "/api/v1/export/municipalities.xlsx"),

        // The dashboard: pages, the prefecture CSV, the map data, the edit forms (no antiforgery token here: 400 once allowed).
        new("GET", "/", Access.Summaries, "/"),
        new("GET", "/prefectures/{Code}", Access.Summaries, "/prefectures/13"),
        new("GET", "/municipalities/{Code}", Access.MunicipalityRead, $"/municipalities/{Target}"),
        new("GET", "/municipalities/{Code}/history", Access.MunicipalityRead, $"/municipalities/{Target}/history"),
        new("GET", "/municipalities/{code}/history.csv", Access.MunicipalityRead, $"/municipalities/{Target}/history.csv"),
        new("GET", "/prefectures/{PrefCode}/systems/history", Access.PrefectureRunRead, "/prefectures/13/systems/history"),
        new("GET", "/prefectures/{prefCode}/systems/history.csv", Access.PrefectureRunRead, "/prefectures/13/systems/history.csv"),
        new("GET", "/prefectures/{PrefCode}/changes", Access.PrefectureChanges, "/prefectures/13/changes"),
        new("GET", "/changes", Access.NationChanges, "/changes"),
        new("GET", "/prefectures/{prefCode}/changes.csv", Access.PrefectureChanges, "/prefectures/13/changes.csv"),
        new("GET", "/changes.csv", Access.NationChanges, "/changes.csv"),
        new("GET", "/prefectures/{code}/municipalities.csv", Access.Summaries, "/prefectures/13/municipalities.csv"),
        new("GET", "/live/map-data", Access.Summaries, "/live/map-data"),
        new("GET", "/prefectures/{code}/search", Access.Summaries, "/prefectures/12/search?q=%E9%8E%8C%E3%83%B6%E8%B0%B7"),
        new("POST", "/municipalities/{code}/systems/{businessId}", Access.MunicipalityWrite, $"/municipalities/{Target}/systems/child_allowance",
            Success: 400, Form: "version=0&phase=in_production"),
        new("POST", "/prefectures/{prefCode}/systems/{businessId}", Access.PrefectureRunWrite, "/prefectures/13/systems/public_assistance",
            Success: 400, Form: "version=0&phase=in_production"),
        new("POST", "/municipalities/{code}/security/{itemId}", Access.MunicipalityWrite, $"/municipalities/{Target}/security/SEC-2-01",
            Success: 400, Form: "version=0&status=implemented"),
        new("POST", "/municipalities/{code}/template/", Access.MunicipalityWrite, $"/municipalities/{Target}/template", Success: 400, Form: "x=1"),
        new("POST", "/municipalities/{code}/template/apply", Access.MunicipalityWrite, $"/municipalities/{Target}/template/apply", Success: 400, Form: "content=x"),
        new("GET", "/reconciliation", Access.Summaries, "/reconciliation"),

        // Open to everyone: sign-in, language, map geometry, the not-found page,
        // health, metrics, the OpenAPI document and its page.
        new("GET", "/signin", Access.Public, "/signin"),
        new("GET", "/not-found", Access.Public, "/not-found"),
        new("GET", "/auth/local/signin", Access.Public, "/auth/local/signin", Success: 302),
        new("POST", "/auth/local/signin", Access.Public, "/auth/local/signin", Success: 400, Body: """{"token":""}"""),
        new("POST", "/auth/signout", Access.Public, "/auth/signout", Success: 204),
        new("GET", "/auth/signout", Access.Public, "/auth/signout", Success: 204),
        new("GET", "/auth/me", Access.Public, "/auth/me"),
        new("GET", "/lang/{code}", Access.Public, "/lang/en?returnUrl=%2F", Success: 302),
        new("GET", "/map/{layer}.json", Access.Public, "/map/japan.json"),
        new("*", "/health/live", Access.Public, "/health/live"),
        new("*", "/health/ready", Access.Public, "/health/ready"),
        new("*", "/metrics", Access.Public, "/metrics"),
        new("GET", "/openapi/{documentName}.json", Access.Public, "/openapi/v1.json"),
        new("GET", "/api/docs/{documentName?}", Access.Public, "/api/docs/"),
        new("GET", "/api/docs/scalar.js", Access.Public, "/api/docs/scalar.js"),
        new("GET", "/api/docs/scalar.aspnetcore.js", Access.Public, "/api/docs/scalar.aspnetcore.js"),
        new("GET", "/api/docs/favicon.svg", Access.Public, "/api/docs/favicon.svg"),
        new("GET", "/_framework/opaque-redirect", Access.Public, "/_framework/opaque-redirect", Success: 400), // needs a data-protected url
    ];

    /// <summary>
    /// Requests no endpoint takes: a form post to a page without a form of its own (the page takes GET only). Routing
    /// answers 405 before authorization, so every caller, signed in or not, gets the same 405 and nothing else about the
    /// page. Not endpoints, so not compared with the application's endpoint list.
    /// </summary>
    private static readonly Row[] RefusedMethods =
    [
        new("POST", "/", Access.Public, "/", Success: 405, Form: "x=1"),
        new("POST", "/prefectures/{Code}", Access.Public, "/prefectures/13", Success: 405, Form: "x=1"),
        new("POST", "/municipalities/{Code}", Access.Public, $"/municipalities/{Target}", Success: 405, Form: "x=1"),
        new("POST", "/municipalities/{Code}/history", Access.Public, $"/municipalities/{Target}/history", Success: 405, Form: "x=1"),
        new("POST", "/prefectures/{PrefCode}/changes", Access.Public, "/prefectures/13/changes", Success: 405, Form: "x=1"),
        new("POST", "/changes", Access.Public, "/changes", Success: 405, Form: "x=1"),
        new("POST", "/reconciliation", Access.Public, "/reconciliation", Success: 405, Form: "x=1"),
        new("POST", "/signin", Access.Public, "/signin", Success: 405, Form: "x=1"),
        new("POST", "/not-found", Access.Public, "/not-found", Success: 405, Form: "x=1"),
    ];

    /// <summary>
    /// Browser-only endpoints whose authorization is checked here by what they declare (the policy on the endpoint, or
    /// none for the pages and forms a person uses before signing in), not by calling them with every kind of token:
    /// the account pages and forms (Identity's cookie; <c>AccountTests</c>, <c>FirstRunSetupTests</c> and the browser walk
    /// exercise them), the planning pages (<c>PlanningApiTests</c>), and the Orleans Dashboard's own routes
    /// (<c>OperationsTests</c>). Key: "METHOD pattern"; value: the policy required ("" = any signed-in person; null =
    /// no authorization: the form or page checks its own token).
    /// </summary>
    private static readonly Dictionary<string, string?> DeclaredOnly = new(StringComparer.Ordinal)
    {
        ["GET /account"] = "", ["GET /account/mfa"] = "", ["GET /admin/users"] = "",
        ["POST /account/mfa/enable"] = "", ["POST /account/recovery-codes"] = "", ["POST /account/signout-everywhere"] = "",
        ["GET /account/password"] = "", ["POST /account/password"] = "", // the signed-in person's own password: PasswordResetTests
        ["POST /admin/invitations"] = "", ["POST /admin/users/{id}/active"] = "", ["POST /admin/users/{id}/role"] = "",
        ["POST /admin/invitations/{id}/withdraw"] = "", ["POST /admin/users/{id}/password-reset"] = "", // administrators only: PasswordResetTests
        ["POST /admin/users/{id}/unlock"] = "", // administrators who manage the person: AccountTests
        ["GET /password/forgot"] = null, ["GET /password/reset"] = null,
        ["POST /account/password/forgot"] = null, ["POST /account/password/reset"] = null, // the reset token is the credential: PasswordResetTests
        ["POST /account/passkeys/options"] = "", ["POST /account/passkeys"] = "", ["POST /account/passkeys/remove"] = "",
        ["POST /account/signin/passkey/options"] = null, ["POST /account/signin/passkey"] = null,
        ["GET /admin/log.csv"] = "", // administrators only, in their own scope: checked by the endpoint (AccountSessionTests)
        ["GET /invitation"] = null, ["GET /setup"] = null, ["GET /signin/mfa"] = null,
        ["POST /account/signin"] = null, ["POST /account/signin/mfa"] = null, ["POST /account/setup"] = null, ["POST /account/invitation"] = null,
        ["GET /admin/clients"] = "", ["POST /admin/clients/new"] = "", ["POST /admin/clients/{clientId}/revoke"] = "", ["POST /admin/clients/{clientId}/secret"] = "",
        ["POST /connect/token"] = null,
        ["POST /account/external/oidc"] = null, ["GET /account/external/callback"] = null, ["GET /account/external/refused"] = null,
        ["GET /planning"] = ReadinessPolicies.Summaries,
        ["GET /planning/prefectures/{Code}"] = ReadinessPolicies.Summaries,
        ["GET /planning/municipalities/{Code}"] = ReadinessPolicies.MunicipalityRead,
        ["GET /planning/scenarios"] = Readiness.Web.Planning.PlanningPolicies.Scenarios, ["POST /planning/scenarios"] = Readiness.Web.Planning.PlanningPolicies.Scenarios,
        ["GET /planning/vendors"] = ReadinessPolicies.Summaries,
        ["GET /planning/vendors/{Code}"] = ReadinessPolicies.Summaries,
        ["GET /notifications"] = ReadinessPolicies.Inbox,
        ["POST /notifications/preferences"] = ReadinessPolicies.Inbox, ["POST /notifications/{id}/read"] = ReadinessPolicies.Inbox,
        ["GET /admin/notifications"] = ReadinessPolicies.Administration, ["POST /admin/notifications"] = ReadinessPolicies.Administration,
        ["POST /admin/notifications/{id}/retry"] = ReadinessPolicies.Administration,
        ["POST /admin/notifications/webhooks/{id}/stop"] = ReadinessPolicies.Administration,
        ["GET /imports"] = ReadinessPolicies.OfficialImport, ["POST /imports/upload"] = ReadinessPolicies.OfficialImport,
        ["GET /imports/{Id}"] = ReadinessPolicies.OfficialImport,
        ["POST /imports/{id}/apply"] = ReadinessPolicies.OfficialImport,
    };

    /// <summary>Every route of the Orleans Dashboard (it shows grain keys and state) requires the administration policy.</summary>
    private const string OrleansDashboardPrefix = "/admin/orleans/";

    /// <summary>Expected status per caller, in <see cref="Callers"/> order; S is the row's success status.</summary>
    private static int[] Expected(Row row)
    {
        var s = row.Success;
        int[] expected = row.Access switch
        {
            //                                anon fake  exp  sys  noT  mOwn mSame mOth pOwn pOth nat  adm  badSub
            Access.Public =>                 [s,   s,   s,   s,   s,   s,   s,   s,   s,   s,   s,   s,   s],
            Access.Summaries =>              [401, 401, 401, 403, 403, s,   s,   s,   s,   s,   s,   s,   403],
            Access.MunicipalityRead =>       [401, 401, 401, 403, 403, s,   403, 403, s,   403, s,   s,   403],
            Access.MunicipalityWrite =>      [401, 401, 401, 403, 403, s,   403, 403, 403, 403, 403, 403, 403],
            Access.ExportOwnPrefecture =>    [401, 401, 401, 403, 403, 403, 403, 403, s,   403, s,   s,   403],
            Access.ExportDefault =>          [401, 401, 401, 403, 403, 403, 403, 403, s,   s,   s,   s,   403],
            Access.PlanningScenarios =>      [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, s,   s,   403],
            Access.Administration =>         [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, 403, s, 403],
            Access.OfficialImport =>         [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, s,   s,   403],
            Access.PrefectureRunRead =>      [401, 401, 401, 403, 403, 403, 403, 403, s,   403, s,   s,   403],
            Access.PrefectureRunWrite =>     [401, 401, 401, 403, 403, 403, 403, 403, s,   403, 403, 403, 403],
            Access.PrefectureChanges =>      [401, 401, 401, 403, 403, 403, 403, 403, s,   403, s,   s,   403],
            Access.NationChanges =>          [401, 401, 401, 403, 403, 403, 403, 403, 403, 403, s,   s,   403],
            _ => throw new ArgumentOutOfRangeException(nameof(row)),
        };
        return row.Browser && row.Access != Access.Public ? expected.Select(e => e == 401 ? 302 : e).ToArray() : expected;
    }

    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var row in Matrix.Concat(RefusedMethods))
        {
            var expected = Expected(row);
            for (var i = 0; i < Callers.Length; i++)
            {
                data.Add(row.Name, Callers[i], expected[i]);
            }
        }

        return data;
    }

    /// <summary>
    /// The application's endpoints (method × route pattern, from the running host's <see cref="EndpointDataSource"/>)
    /// and the table's are the same set: a new endpoint must be added here with who may call it, and a removed one
    /// must leave the table.
    /// </summary>
    [Fact]
    public void Every_endpoint_of_the_application_is_in_the_table()
    {
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? methods : ["*"])
                .Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet(StringComparer.Ordinal);
        var routes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var dashboard = routes.Where(e => e.RoutePattern.RawText!.StartsWith(OrleansDashboardPrefix, StringComparison.Ordinal)).ToList();
        Assert.True(dashboard.Count >= 10, "the Orleans Dashboard's routes");
        Assert.All(dashboard, e => Assert.Contains(e.Metadata.GetOrderedMetadata<IAuthorizeData>(), a => a.Policy == ReadinessPolicies.Administration));
        foreach (var (key, policy) in DeclaredOnly)
        {
            var matching = routes.Where(e => key == $"{(e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? m[0] : "*")} {e.RoutePattern.RawText}"
                || (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods?.Any(h => key == $"{h} {e.RoutePattern.RawText}") ?? false)).ToList();
            Assert.True(matching.Count > 0, $"{key}: no such endpoint");
            foreach (var endpoint in matching)
            {
                var declared = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
                if (policy is null)
                {
                    Assert.True(declared.Count == 0, $"{key}: expected no authorization, found {string.Join(", ", declared.Select(d => d.Policy ?? "(signed in)"))}");
                }
                else
                {
                    Assert.True(declared.Any(d => (d.Policy ?? string.Empty) == policy), $"{key}: expected policy '{policy}', found {string.Join(", ", declared.Select(d => d.Policy ?? "(signed in)"))}");
                }
            }
        }

        // A form's POST-only address answers GET by sending the person to the form's page (FormAddresses): that GET
        // requires exactly what its post requires, so it is in the table when its post is.
        var returns = routes.Where(e => e.Metadata.GetMetadata<Readiness.Web.Components.Access.ReturnsToFormPageAttribute>() is not null).ToList();
        Assert.True(returns.Count >= 25, $"only {returns.Count} form addresses answer GET");
        foreach (var back in returns)
        {
            var post = routes.Single(e => e.RoutePattern.RawText == back.RoutePattern.RawText && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is ["POST"]);
            static string Policies(Microsoft.AspNetCore.Http.Endpoint e) => string.Join(", ", e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(d => d.Policy ?? "(signed in)").Order(StringComparer.Ordinal));
            Assert.True(Policies(back) == Policies(post), $"GET {back.RoutePattern.RawText}: requires {Policies(back)}, its post {Policies(post)}");
        }

        var table = Matrix.Select(r => $"{r.Method} {r.Pattern}").Concat(DeclaredOnly.Keys)
            .Concat(returns.Select(e => $"GET {e.RoutePattern.RawText}"))
            .Concat(dashboard.SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods ? methods : ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}")))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(endpoints.Count >= 30, $"only {endpoints.Count} endpoints found: {string.Join(", ", endpoints)}");
        var missing = endpoints.Except(table).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "endpoints without an expectation in the authorization matrix: " + string.Join(", ", missing));
        var gone = table.Except(endpoints).Order(StringComparer.Ordinal).ToList();
        Assert.True(gone.Count == 0, "rows of the authorization matrix for endpoints the application does not have: " + string.Join(", ", gone));
        Assert.All(Matrix, row => Assert.Equal(Callers.Length, Expected(row).Length));
    }

    /// <summary>
    /// The scope an API client's token needs, by what the matrix shows of each endpoint: API clients act as a
    /// municipality or a prefecture, read-only with the read scope (refused where a municipality or a prefecture
    /// writes); they never act as national staff or administrators; the notification inbox is a person's own.
    /// </summary>
    private static string? ClientScope(Row row) => row.Pattern.StartsWith("/api/v1/notifications/", StringComparison.Ordinal) ? null : row.Access switch
    {
        Access.Summaries or Access.MunicipalityRead or Access.ExportOwnPrefecture or Access.ExportDefault or Access.PrefectureRunRead or Access.PrefectureChanges => "read",
        Access.MunicipalityWrite or Access.PrefectureRunWrite => "write",
        Access.PlanningScenarios or Access.Administration or Access.OfficialImport or Access.NationChanges => null,
        _ => throw new ArgumentOutOfRangeException(nameof(row), row.Access, row.Name),
    };

    /// <summary>
    /// /openapi/v1.json promises each operation to the callers the table lets through: every operation accepts the
    /// Bearer scheme, and the ApiClient scheme (OAuth 2.0 client credentials) with the scope the endpoint's access rule
    /// implies, or not at all. Every documented operation is a row of the table, so none goes unchecked.
    /// </summary>
    [Fact]
    public async Task The_OpenAPI_document_names_for_every_operation_the_scope_an_API_client_needs()
    {
        using var http = host.Client();
        var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json")).RootElement;
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiClient");
        Assert.Equal("oauth2", scheme.GetProperty("type").GetString());
        var flow = scheme.GetProperty("flows").GetProperty("clientCredentials");
        Assert.Equal(Readiness.Web.Clients.ClientsSetup.TokenPath, flow.GetProperty("tokenUrl").GetString());
        Assert.Equal(["read", "write"], flow.GetProperty("scopes").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var checkedOperations = 0;
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "patch" or "delete" or "head"))
            {
                var method = operation.Name.ToUpperInvariant();
                var rows = Matrix.Where(r => r.Method == method && r.Pattern.TrimEnd('/') == path.Name).ToList();
                Assert.True(rows.Count > 0, $"{method} {path.Name} is documented but not in the authorization matrix");
                var expected = rows.Select(ClientScope).Distinct().Single();
                var security = operation.Value.GetProperty("security").EnumerateArray()
                    .Select(requirement => requirement.EnumerateObject().Single())
                    .ToDictionary(r => r.Name, r => r.Value.EnumerateArray().Select(v => v.GetString()).ToList(), StringComparer.Ordinal);
                Assert.True(security.ContainsKey("Bearer"), $"{method} {path.Name}: no Bearer requirement");
                var documented = security.TryGetValue("ApiClient", out var scopes) ? Assert.Single(scopes) : null;
                Assert.True(expected == documented, $"{method} {path.Name}: the document asks API clients for '{documented ?? "(none)"}', the access rule implies '{expected ?? "(none)"}'");
                checkedOperations++;
            }
        }

        Assert.True(checkedOperations >= 50, $"only {checkedOperations} documented operations");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_answers_caller_with_expected_status(string endpoint, string caller, int expected)
    {
        var row = Matrix.Concat(RefusedMethods).Single(r => r.Name == endpoint);
        using var client = host.Client();
        if (Token(caller) is { } token)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        long versionBefore = 0, historyBefore = 0;
        if (row.Writes)
        {
            (_, versionBefore) = await host.GetMunicipality(Target);
            historyBefore = await host.HistoryTotal(Target);
        }

        using var request = Request(row, versionBefore);
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var noRedirects = new HttpClient(handler) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        noRedirects.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        using var response = await noRedirects.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (row.Browser && row.Access != Access.Public && expected is 302 or 403)
        {
            Assert.True((int)response.StatusCode == expected, $"{endpoint} as {caller}: expected {expected}, got {(int)response.StatusCode}");
            if (expected == 302)
            {
                var location = response.Headers.Location!;
                Assert.StartsWith("/signin?ReturnUrl=", location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            }
        }
        else if (expected is 401 or 403)
        {
            var problem = await ApiHost.AssertProblem(response, (HttpStatusCode)expected, expected == 401 ? "Authorization" : null);
            if (expected == 401)
            {
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.First().Scheme);
            }

            // Claims that make no caller are refused for what is wrong with them, by every policy alike.
            if (NoCaller(caller) is { } why)
            {
                var error = problem.GetProperty("errors")[0];
                Assert.True(error.GetProperty("code").GetString() == why.Code && error.GetProperty("field").GetString() == why.Field,
                    $"{endpoint} as {caller}: expected {why.Field}/{why.Code}, got {error}");
            }
        }
        else
        {
            // The event stream never ends by itself: only its status is read.
            var text = row.Pattern == "/api/v1/stream" ? string.Empty : await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == expected, $"{endpoint} as {caller}: expected {expected}, got {(int)response.StatusCode}: {text}");
        }

        if (row.Writes)
        {
            var (_, versionAfter) = await host.GetMunicipality(Target);
            var historyAfter = await host.HistoryTotal(Target);
            var accepted = expected is >= 200 and < 300;
            Assert.Equal(versionBefore + (accepted ? 1 : 0), versionAfter);
            Assert.True(accepted ? historyAfter > historyBefore : historyAfter == historyBefore, "the audit trail grows only with accepted writes");
        }
    }

    private static HttpRequestMessage Request(Row row, long version)
    {
        var method = row.Method == "*" ? HttpMethod.Get : new HttpMethod(row.Method);
        if (row.Body is not null)
        {
            // The municipality's version as If-Match only where the target is versioned so: a write whose target has a
            // content tag (notification preferences) reads If-Match against that tag and would be 412.
            var versioned = (row.Method is "PUT" or "PATCH" && row.Path.StartsWith("/api/v1/municipalities/", StringComparison.Ordinal))
                || row.Path.StartsWith("/api/v1/prefectures/", StringComparison.Ordinal) && row.Method is "PUT" or "PATCH"
                || row.Path.EndsWith("/reports", StringComparison.Ordinal);
            var json = ApiHost.Request(method, row.Path, row.Body, versioned ? version : null,
                row.Method == "POST" && row.Writes ? Guid.NewGuid().ToString() : null);
            if (row.Method == "PATCH")
            {
                json.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/merge-patch+json");
            }

            return json;
        }

        var request = new HttpRequestMessage(method, row.Path);
        if (row.Form is not null)
        {
            request.Content = new StringContent(row.Form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        }

        return request;
    }

    /// <summary>The refusal (field, code) of a caller whose token's claims make no caller; null for the others.</summary>
    private static (string Field, string Code)? NoCaller(string caller) => caller switch
    {
        "system_role" or "municipality_without_tenant" => ("role", "invalid_role"),
        "admin_with_padded_subject" => ("sub", "invalid_subject"),
        _ => null,
    };

    private string? Token(string caller) => caller switch
    {
        "anonymous" => null,
        "forged_token" => LocalTokens.Issue(new ReadinessAuthOptions(), new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), "mallory", Role.Admin, null, TimeSpan.FromHours(1), DateTimeOffset.UtcNow),
        "expired_token" => host.Token(Role.Municipality, Target, lifetime: TimeSpan.FromHours(1), now: DateTimeOffset.UtcNow.AddHours(-3)),
        "system_role" => host.Token(Role.System),
        "municipality_without_tenant" => host.Token(Role.Municipality),
        "municipality_own" => host.Token(Role.Municipality, Target),
        "municipality_other_same_prefecture" => host.Token(Role.Municipality, ApiHost.Chuo),
        "municipality_other_prefecture" => host.Token(Role.Municipality, ApiHost.Osaka),
        "prefecture_own" => host.Token(Role.Prefecture, "13"),
        "prefecture_other" => host.Token(Role.Prefecture, "27"),
        "national" => host.Token(Role.National),
        "admin" => host.Token(Role.Admin),
        "admin_with_padded_subject" => host.TokenWithClaims(new Dictionary<string, object> { ["sub"] = " tanaka ", ["role"] = "admin" }),
        _ => throw new ArgumentOutOfRangeException(nameof(caller), caller, null),
    };
}

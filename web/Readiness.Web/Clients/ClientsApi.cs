using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Identity;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Readiness.Web.Clients;

/// <summary>A new client: a name (up to 100 characters), its tenant (municipality or prefecture code), read or write, and when it expires (at most a year ahead).</summary>
public sealed record CreateClientRequest(string? Name = null, string? Tenant = null, string? Scope = null, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// An API client as listed. Status: active, suspended (the person holding its secret is deactivated: tokens are refused
/// until an administrator issues a new secret or reactivates that person), expired or revoked. SecretHolder: who holds
/// its secret now (whoever created it or last issued it a new secret); the client's changes are recorded in that name.
/// SecretVersion: how many secrets it has been handed (1 at creation, one more per rotation); SecretIssuedAt: when the
/// current secret was issued (UTC). No secret material: these only make each rotation change the client's ETag, so an
/// If-Match read before a rotation is stale after it.
/// </summary>
public sealed record ApiClientView(
    string ClientId, string Name, string Tenant, string Scope, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? RevokedAt, string? RevokedBy, string Status, string SecretHolder, int SecretVersion, DateTimeOffset SecretIssuedAt)
{
    /// <summary>The view of <paramref name="c"/>; without a standing, its creator holds the secret (a client just created).</summary>
    public static ApiClientView From(ApiClient c, DateTime nowUtc, ClientStanding? standing = null) => new(
        c.ClientId, c.Name, c.Tenant, ClientRules.Name(c.Scope), new DateTimeOffset(c.ExpiresAtUtc, TimeSpan.Zero), new DateTimeOffset(c.CreatedAtUtc, TimeSpan.Zero), c.CreatedBy,
        c.RevokedAtUtc is { } r ? new DateTimeOffset(r, TimeSpan.Zero) : null, c.RevokedBy,
        c.RevokedAtUtc is not null ? "revoked" : c.ExpiresAtUtc <= nowUtc ? "expired" : standing is { HolderActive: false } ? "suspended" : "active",
        standing?.Holder ?? c.CreatedBy,
        standing?.SecretVersion ?? 1,
        new DateTimeOffset(DateTime.SpecifyKind(standing?.SecretIssuedAtUtc ?? c.CreatedAtUtc, DateTimeKind.Utc)));
}

/// <summary>The answer to creating a client: the client, its secret (shown this once only) and where to get tokens.</summary>
public sealed record ApiClientCreatedView(ApiClientView Client, string ClientSecret, string TokenEndpoint);

/// <summary>
/// The token endpoint (client credentials; OpenIddict checks the secret before this runs) and the administration API
/// /api/v1/admin/clients (list, create, a new secret, revoke) for system, prefecture and municipality administrators.
/// </summary>
public static class ClientsApi
{
    public static WebApplication MapClientsApi(this WebApplication app)
    {
        // A client secret is checked here: as many tries per address as a sign-in form's.
        app.MapPost(ClientsSetup.TokenPath, TokenAsync).ExcludeFromDescription().RequireRateLimiting(RateLimits.WritesPolicy)
            .WithMetadata(CountedBeforeAuthentication.Instance); // every request, refused ones too: TokenRequestLimits

        var clients = app.MapGroup("/api/v1/admin/clients").RequireAuthorization(ReadinessPolicies.Summaries).WithTags("Administration")
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        clients.MapGet("/", ListAsync).WithName("listApiClients").AnswersConditionalRequestsByContent()
            .WithSummary("The API clients of the tenants the caller administers, newest first")
            .WithDescription("System administrators see every client; a prefecture administrator its prefecture's and its municipalities'; a municipality administrator its own.");
        clients.MapPost("/", CreateAsync).WithName("createApiClient")
            .WritesConditionallyByContent("GET /api/v1/admin/clients", async h => await ListAsync(h, h.RequestServices.GetRequiredService<ClientService>(), h.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>(), h.RequestServices.GetRequiredService<TimeProvider>()))
            .WithSummary("Create an API client (client credentials) for one tenant, read or write, with an expiry; the secret is in this answer only")
            .WithDescription("expiresAt: RFC 3339 with its offset (2027-03-31T23:59:59+09:00), or a date alone (2027-03-31), which is the end of that day in Japan time (23:59:59.999+09:00); left out, 90 days from today in Japan, at the end of that day (the dashboard form's default); in the future and at most 366 days ahead. Tokens: POST /connect/token with grant_type=client_credentials, client_id, client_secret and optionally scope (read, or write for a write client; none gives the client's own). A token lasts at most 10 minutes and never past the client's expiry.")
            .Accepts<CreateClientRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        clients.MapGet("/{clientId}", GetAsync).WithName("getApiClient").AnswersConditionalRequestsByContent()
            .WithSummary("One API client among those the caller administers (the address a create answers in Location)")
            .WithDescription("Answers the client as the list does (never its secret); 404 when there is no such client among those the caller administers.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        clients.MapPost("/{clientId}/secret", RotateSecretAsync).WithName("rotateApiClientSecret")
            .WritesConditionallyByContent("GET /api/v1/admin/clients/{clientId}", async h => await GetAsync(h, h.GetRouteValue("clientId") as string ?? string.Empty, h.RequestServices.GetRequiredService<ClientService>(), h.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>(), h.RequestServices.GetRequiredService<TimeProvider>()))
            .WithSummary("A new secret for an API client (the same client_id, tenant, scope and expiry); the secret is in this answer only")
            .WithDescription("For a planned rotation or after a leak. The old secret is refused from this moment and the tokens issued with it stop being accepted at once: the client asks POST /connect/token again with the new secret. The caller holds the new secret: the client's changes are recorded in the caller's name from now on (secretHolder). 404 when there is no such client among those the caller administers; 403 forbidden_secret for a write client when the caller may not give write to its tenant (a prefecture administrator and a municipality's write client: it may revoke it); 409 client_inactive when it is revoked or expired (create a new one). No body.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        clients.MapDelete("/{clientId}", RevokeAsync).WithName("revokeApiClient")
            .WritesConditionallyByContent("GET /api/v1/admin/clients/{clientId}", async h => await GetAsync(h, h.GetRouteValue("clientId") as string ?? string.Empty, h.RequestServices.GetRequiredService<ClientService>(), h.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>(), h.RequestServices.GetRequiredService<TimeProvider>()))
            .WithSummary("Revoke an API client: the token endpoint refuses it and its tokens stop being accepted at once")
            .WithDescription("Answers the revoked client; 404 when there is no such client among those the caller administers.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> TokenAsync(HttpContext http, ClientService clients, IOptions<ReadinessAuthOptions> options, TimeProvider time)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null || !request.IsClientCredentialsGrantType())
        {
            return Refuse(Errors.UnsupportedGrantType, "Only the client_credentials grant is supported.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var row = request.ClientId is null ? null : await clients.FindAsync(request.ClientId, http.RequestAborted);
        if (row is null || !row.IsActive(now))
        {
            http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, null, "unauthenticated", 400, $"token refused: client {request.ClientId} {(row is null ? "unknown" : row.RevokedAtUtc is null ? "expired" : "revoked")}");
            return Refuse(Errors.InvalidClient, "The client is unknown, revoked or expired.");
        }

        var standing = await clients.StandingAsync(row, http.RequestAborted);
        if (!standing.HolderActive)
        {
            http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, null, "unauthenticated", 400, $"token refused: client {row.ClientId} suspended (its secret's holder {standing.Holder} is deactivated)");
            return Refuse(Errors.InvalidClient, "The person who holds this client's secret is deactivated: an administrator issues a new secret (or reactivates that person) before it gets tokens again.");
        }

        var auth = options.Value;
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, auth.SubjectClaim, auth.RoleClaim);

        // The audit trail's subject names the client and the person who holds its secret (who created it or last
        // issued it a new secret); the tenant is the client's own.
        identity.SetClaim(Claims.Subject, $"client:{row.ClientId} ({standing.Holder})");
        identity.SetClaim(auth.RoleClaim, Wire.Name(ClientRules.RoleOf(row.Tenant)));
        identity.SetClaim(auth.TenantClaim, row.Tenant);
        // A write client whose holder may not give write now (a prefecture administrator's, for a municipality, made
        // before the rule; a holder since given another role) gets read only: asking for write by name is refused
        // rather than answered with less.
        var scope = standing.EffectiveScope;
        if (scope != row.Scope && request.GetScopes().Contains(ClientRules.Name(ClientScope.Write)))
        {
            http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, null, "forbidden", 400, $"token refused: client {row.ClientId} write (its secret's holder {standing.Holder} may not give write to {row.Tenant})");
            return Refuse(Errors.InvalidScope, "This client may not write: only the tenant's own administrator (or a system administrator) gives write; it reads only.");
        }

        var scopes = ClientRules.GrantedScopes(scope, request.GetScopes());
        if (!scopes.Contains(ClientRules.Name(ClientScope.Write)))
        {
            identity.SetClaim(AccountClaimsFactory.ReadOnlyClaim, "true");
        }

        identity.SetScopes(scopes.ToImmutableArray());
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        var principal = new ClaimsPrincipal(identity);
        var left = row.ExpiresAtUtc - now;
        principal.SetAccessTokenLifetime(left < ClientRules.MaxTokenLifetime ? left : ClientRules.MaxTokenLifetime);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Refuse(string error, string description) =>
        Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    private static async Task<Results<Ok<List<ApiClientView>>, ProblemHttpResult>> ListAsync(HttpContext http, ClientService clients, IOptions<ReadinessAuthOptions> options, TimeProvider time)
    {
        if (Administrator(http, options.Value) is not { } actor)
        {
            return NotAdministrator(http, options.Value);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var list = await clients.ListAsync(actor, http.RequestAborted);
        var standings = await clients.StandingsAsync(list, http.RequestAborted);
        return TypedResults.Ok(list.Select(c => ApiClientView.From(c, now, standings[c.ClientId])).ToList());
    }

    private static async Task<Results<Created<ApiClientCreatedView>, ProblemHttpResult>> CreateAsync(HttpContext http, ClientService clients, IOptions<ReadinessAuthOptions> options, TimeProvider time)
    {
        if (Administrator(http, options.Value) is not { } actor)
        {
            return NotAdministrator(http, options.Value);
        }

        // Read as every other request body is (JsonBody): an unknown or misspelt member is refused naming it.
        var (body, problem) = await JsonBody.ReadAsync<CreateClientRequest>(http.Request, BodyLimit.Small, http.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        if (body is null)
        {
            return Problems.BadRequest("body", "invalid_json", "本文は JSON オブジェクト {\"name\",\"tenant\",\"scope\",\"expiresAt\"} にしてください。",
                "The body must be a JSON object {\"name\",\"tenant\",\"scope\",\"expiresAt\"}.");
        }

        // The tenant code read as the /admin/clients form reads it (TypedInput: full-width １３１０１６ is 131016): one rule for both.
        var (result, created) = await clients.CreateAsync(actor, body.Name, Components.TypedInput.Text(body.Tenant), body.Scope, body.ExpiresAt, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
        if (!result.Succeeded)
        {
            return Invalid(result);
        }

        var view = ApiClientView.From(created!.Client, time.GetUtcNow().UtcDateTime);
        return TypedResults.Created($"/api/v1/admin/clients/{view.ClientId}", new ApiClientCreatedView(view, created.Secret, ClientsSetup.TokenPath));
    }

    private static async Task<Results<Ok<ApiClientView>, ProblemHttpResult>> GetAsync(HttpContext http, string clientId, ClientService clients, IOptions<ReadinessAuthOptions> options, TimeProvider time)
    {
        if (Administrator(http, options.Value) is not { } actor)
        {
            return NotAdministrator(http, options.Value);
        }

        // The same scope as the list: a client another administrator's tenant holds is as absent as an unknown one.
        return await clients.FindAsync(clientId, http.RequestAborted) is { } row && ClientRules.CanAdminister(actor, row.Tenant)
            ? TypedResults.Ok(ApiClientView.From(row, time.GetUtcNow().UtcDateTime, await clients.StandingAsync(row, http.RequestAborted)))
            : NoSuchClient(clientId);
    }

    private static ProblemHttpResult NoSuchClient(string clientId) =>
        Problems.NotFound("clientId", $"API クライアント「{Problems.Shown(clientId)}」はありません（管理できる範囲にありません）。", $"There is no API client '{Problems.Shown(clientId)}' among those you administer.");

    private static async Task<Results<Ok<ApiClientCreatedView>, ProblemHttpResult>> RotateSecretAsync(HttpContext http, string clientId, ClientService clients, IOptions<ReadinessAuthOptions> options, TimeProvider time)
    {
        if (Administrator(http, options.Value) is not { } actor)
        {
            return NotAdministrator(http, options.Value);
        }

        var (result, rotated) = await clients.RotateSecretAsync(actor, clientId, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
        if (result.Code == "not_found")
        {
            return NoSuchClient(clientId);
        }

        if (!result.Succeeded)
        {
            var (ja, en) = ClientMessages.For(result.Code);
            return result.Code == "forbidden_secret"
                ? Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "clientId", result.Code, ja, en)
                : Problems.Create(StatusCodes.Status409Conflict, "Conflict", "clientId", result.Code!, ja, en);
        }

        var view = ApiClientView.From(rotated!.Client, time.GetUtcNow().UtcDateTime, await clients.StandingAsync(rotated.Client, http.RequestAborted));
        return TypedResults.Ok(new ApiClientCreatedView(view, rotated.Secret, ClientsSetup.TokenPath));
    }

    private static async Task<Results<Ok<ApiClientView>, ProblemHttpResult>> RevokeAsync(HttpContext http, string clientId, ClientService clients, IOptions<ReadinessAuthOptions> options, TimeProvider time)
    {
        if (Administrator(http, options.Value) is not { } actor)
        {
            return NotAdministrator(http, options.Value);
        }

        var result = await clients.RevokeAsync(actor, clientId, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
        if (!result.Succeeded)
        {
            return NoSuchClient(clientId);
        }

        var revoked = (await clients.FindAsync(clientId, http.RequestAborted))!;
        return TypedResults.Ok(ApiClientView.From(revoked, time.GetUtcNow().UtcDateTime, await clients.StandingAsync(revoked, http.RequestAborted)));
    }

    public static ClientAdministrator? Administrator(HttpContext http, ReadinessAuthOptions options)
    {
        if (http.User.HasClaim(AccountClaimsFactory.MfaPendingClaim, "true"))
        {
            return null;
        }

        return ClientRules.Administrator(ReadinessCaller.From(http.User, options), http.User.FindFirst(AccountClaimsFactory.AccountRoleClaim)?.Value);
    }

    private static ProblemHttpResult NotAdministrator(HttpContext http, ReadinessAuthOptions options) =>
        http.User.Identity?.IsAuthenticated != true
            ? Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", "Authorization", "missing_token", "サインインが必要です。", "Sign-in required.")
            : ReadinessCaller.From(http.User, options) is null ? Refused(ReadinessCaller.Refusal(http.User, options))
            : Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "role", "forbidden_role",
                "API クライアントを管理できるのは管理者（システム・都道府県・市区町村の管理者）だけです。", "Only administrators (system, prefecture, municipality) manage API clients.");

    private static ProblemHttpResult Refused((string Field, string Code, string Ja, string En) refusal) =>
        Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", refusal.Field, refusal.Code, refusal.Ja, refusal.En);

    /// <summary>The refusal of a create, naming the field (RFC 9457), in Japanese and English.</summary>
    public static ProblemHttpResult Invalid(AccountResult result)
    {
        var (ja, en) = ClientMessages.For(result.Code);
        if (result.Code is "forbidden_tenant" or "forbidden_scope")
        {
            return Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", result.Field ?? "tenant", result.Code, ja, en);
        }

        // Every field's fault in errors, as the /admin/clients form shows them (one rule: ClientService).
        return result.Faults.Count > 1
            ? Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", [.. result.Faults.Select(f => ClientMessages.For(f.Code) is var (fja, fen) ? new ProblemError(f.Field, f.Code, fja, fen) : null!)])
            : Problems.BadRequest(result.Field ?? "body", result.Code ?? "invalid", ja, en);
    }
}

/// <summary>
/// The messages of the client administration's error codes, in Japanese and English. No field's id in them (a
/// breaker's finding: "name: ..."): the form shows each beside its field, and the API's problem details name the field
/// in each error's own <c>field</c> member.
/// </summary>
public static class ClientMessages
{
    public static (string Ja, string En) For(string? code) => code switch
    {
        "form_replayed" => ("このフォームはすでに送信され、処理されています（ページの再読み込みなどによる再送信のため、何も変更していません）。先に表示されたシークレットが有効です。", "This form was already sent and done (sent again, e.g. by reloading the page, so nothing changed). The secret shown then stays valid."),
        "name_too_long" => ($"名前が長すぎます（最大{ClientService.MaxNameLength}文字）。", $"The name is too long (max {ClientService.MaxNameLength} characters)."),
        "invalid_name" => ("名前を1〜100文字で入力してください。", "Give a name of 1 to 100 characters."),
        "invalid_tenant" => Auth.TenantCodeWording.Either,
        "invalid_scope" => ("read または write を指定してください。", "Choose read or write."),
        "invalid_expiry" => ("有効期限は現在より後、1年以内の日時にしてください。", "The expiry must be in the future and at most a year ahead."),
        // The API's answer to a malformed expiresAt (JsonBody: wrong_type) in the same words; the form gives it too.
        "wrong_type" => ("日時の形式が正しくありません。" + Api.JapanTime.InstantRuleJa, "The value has the wrong format. " + Api.JapanTime.InstantRuleEn),
        "forbidden_tenant" => ("この団体の API クライアントを作成する権限がありません（都道府県の管理者は自県と県内市区町村、市区町村の管理者は自団体のみ）。",
            "You may not create clients for this tenant (a prefecture administrator: its prefecture and municipalities; a municipality administrator: its own)."),
        "forbidden_scope" => ("write（報告）の API クライアントを作成できるのは、その団体自身の管理者（またはシステム管理者）だけです。都道府県の管理者が県内市区町村に作成できるのは read（閲覧）だけです。",
            "Only the tenant's own administrator (or a system administrator) may create a write client; a prefecture administrator may create read clients only for its municipalities."),
        "not_found" => ("API クライアントが見つかりません。", "No such API client."),
        "forbidden_secret" => ("write（報告）の API クライアントに新しいシークレットを発行できるのは、その団体自身の管理者（またはシステム管理者）だけです（発行した人がシークレットを持ち、以後の報告はその人の名前で記録されるため）。失効させることはできます。",
            "Only the tenant's own administrator (or a system administrator) may issue a write client a new secret (whoever issues it holds it, and the client's changes are recorded in that name); you may revoke it."),
        "client_inactive" => ("失効済みまたは期限切れの API クライアントには新しいシークレットを発行できません。新しいクライアントを作成してください。",
            "A revoked or expired API client gets no new secret: create a new client."),
        "bad_form" => ("フォームの有効期限が切れたか、内容が正しくありません。", "The form has expired or is not valid."),
        _ => ("入力が正しくありません。", "The input is not valid."),
    };
}

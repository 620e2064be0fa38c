using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using Readiness.Rules;
using Readiness.Web.Components;
using Readiness.Web.Identity;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Readiness.Web.Clients;

/// <summary>The answer to creating a client: its record and its secret (shown once, stored only as a hash).</summary>
public sealed record ClientCreated(ApiClient Client, string Secret);

/// <summary>
/// A client as it stands: <paramref name="Holder"/>, who holds its secret (the e-mail, or the admin token's subject, of
/// whoever created it or last issued it a new secret: the client's changes are recorded in that person's name);
/// <paramref name="HolderActive"/>, false while that account is deactivated (the client is suspended); and the scope
/// its tokens may carry now. <paramref name="SecretVersion"/>: how many secrets it has been handed (1 at creation, one
/// more per rotation), <paramref name="SecretIssuedAt"/> when the current one was (UTC): a rotation changes the client's
/// representation, so an If-Match read before it no longer holds after it (round 48: the same tag rotated twice).
/// </summary>
public sealed record ClientStanding(string Holder, bool HolderActive, ClientScope EffectiveScope, int SecretVersion = 1, DateTime? SecretIssuedAtUtc = null);

/// <summary>
/// Creates, lists and revokes API clients: the product's row (<see cref="ApiClient"/>) and OpenIddict's application
/// (the hashed secret and permissions) change together, and each change goes into the admin log (readiness_admin_log)
/// with who, what, when and from where. Revoking deletes the application, and with it every token OpenIddict issued
/// to it: the API checks each token's entry, so a revoked client's tokens stop at once.
/// </summary>
public sealed class ClientService(ClientsDb db, IOpenIddictApplicationManager applications, IOpenIddictTokenManager tokens, AccountService accounts, TimeProvider time)
{
    /// <summary>The longest client name taken, in characters (code points, trimmed).</summary>
    public const int MaxNameLength = 100;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<(AccountResult Result, ClientCreated? Created)> CreateAsync(ClientAdministrator actor, string? name, string? tenant, string? scopeText, DateTimeOffset? expiresAt, string? client, CancellationToken cancellationToken, bool expiresUnreadable = false)
    {
        // Every field's fault at once (the form and the API's problem details name each); the permission checks after.
        List<FieldFault> faults = [];
        name = name?.Trim();
        if (!string.IsNullOrEmpty(name) && FreeText.Characters(name) > MaxNameLength)
        {
            faults.Add(new("name", "name_too_long")); // said as too long with the limit, never cut
        }
        else if (string.IsNullOrEmpty(name) || FreeText.Check(name, multiline: false).Fault != FreeTextFault.None)
        {
            faults.Add(new("name", "invalid_name"));
        }

        tenant = tenant?.Trim();
        if (!ClientRules.IsValidTenant(tenant))
        {
            faults.Add(new("tenant", "invalid_tenant"));
        }

        if (!ClientRules.TryParseScope(scopeText, out var scope))
        {
            faults.Add(new("scope", "invalid_scope"));
        }

        var now = Now;
        // None given: the dashboard form's default (ClientRules.DefaultLifetimeDays), so both create the same client.
        // Unreadable (the form's date field holding no date): its own fault, wrong_type, as the API's body reader says.
        if (expiresUnreadable)
        {
            faults.Add(new("expiresAt", "wrong_type"));
        }
        else
        {
            expiresAt ??= ClientRules.DefaultExpiry(time.GetUtcNow());
            if (expiresAt is not { } expires || expires.UtcDateTime <= now || expires.UtcDateTime > now + ClientRules.MaxClientLifetime)
            {
                faults.Add(new("expiresAt", "invalid_expiry"));
            }
        }

        if (faults.Count > 0)
        {
            return (AccountResult.Fail(faults), null);
        }

        if (!ClientRules.CanAdminister(actor, tenant!))
        {
            return (AccountResult.Fail("tenant", "forbidden_tenant"), null);
        }

        if (scope == ClientScope.Write && !ClientRules.MayGrantWrite(AccountRules.Name(actor.Kind), actor.Tenant, tenant!))
        {
            return (AccountResult.Fail("scope", "forbidden_scope"), null);
        }

        var row = new ApiClient
        {
            ClientId = "rc_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            Name = name!,
            Tenant = tenant!,
            Scope = scope,
            ExpiresAtUtc = expiresAt!.Value.UtcDateTime,
            CreatedAtUtc = now,
            CreatedBy = actor.Subject,
        };
        var secret = AccountService.NewSecret();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = row.ClientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = name,
            Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials, Permissions.Prefixes.Scope + "read" },
        };
        if (scope == ClientScope.Write)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + "write");
        }

        await applications.CreateAsync(descriptor, cancellationToken);
        db.ApiClients.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        await accounts.LogAsync(actor.Subject, AccountRules.Name(actor.Kind), actor.Tenant, "create_api_client", row.ClientId, row.Tenant, null,
            $"{name}: {ClientRules.Name(scope)} {row.Tenant} until {row.ExpiresAtUtc:O}", client, cancellationToken);
        return (AccountResult.Ok, new ClientCreated(row, secret));
    }

    /// <summary>The clients of the tenants the actor administers, newest first.</summary>
    public async Task<IReadOnlyList<ApiClient>> ListAsync(ClientAdministrator actor, CancellationToken cancellationToken)
    {
        var all = await db.ApiClients.AsNoTracking().ToListAsync(cancellationToken);
        return [.. all.Where(c => ClientRules.CanAdminister(actor, c.Tenant)).OrderByDescending(c => c.CreatedAtUtc)];
    }

    public Task<ApiClient?> FindAsync(string clientId, CancellationToken cancellationToken) =>
        db.ApiClients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == clientId, cancellationToken);

    /// <summary>
    /// Who holds each client's secret now and what that lets the client do (<see cref="ClientStanding"/>): the person the
    /// admin log's latest create_api_client or rotate_api_client_secret entry names, read against that person's account
    /// today. A holder whose account is deactivated leaves the client suspended (the token endpoint refuses it); a write
    /// client reads only unless its holder may give write to its tenant now (<see cref="ClientRules.MayGrantWrite"/>:
    /// the account's current role and tenant; the entry's for an actor that is no account, an admin token). A client
    /// with no entry on record is held by its creator and reads only: with no proof of who gave write, the safe answer.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, ClientStanding>> StandingsAsync(IReadOnlyCollection<ApiClient> rows, CancellationToken cancellationToken)
    {
        var issues = await accounts.ClientSecretIssuesAsync([.. rows.Select(r => r.ClientId)], cancellationToken);
        var issued = await accounts.ClientSecretIssueCountsAsync([.. rows.Select(r => r.ClientId)], cancellationToken);
        var people = new Dictionary<string, ReadinessUser?>(StringComparer.OrdinalIgnoreCase);
        var standings = new Dictionary<string, ClientStanding>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var issue = issues.GetValueOrDefault(row.ClientId);
            var holder = issue?.ActorSubject ?? row.CreatedBy;
            if (!people.TryGetValue(holder, out var account))
            {
                people[holder] = account = await accounts.FindByEmailAsync(holder);
            }

            var (role, tenant) = account is not null ? (AccountRules.Name(account.AccountRole), account.Tenant) : (issue?.ActorRole, issue?.ActorTenant);
            standings[row.ClientId] = new ClientStanding(holder, account?.Active ?? true,
                ClientRules.EffectiveScope(row.Scope, row.Tenant, role, tenant, issue is not null),
                Math.Max(1, issued.GetValueOrDefault(row.ClientId)), issue?.AtUtc ?? row.CreatedAtUtc);
        }

        return standings;
    }

    /// <summary>The standing of one client (<see cref="StandingsAsync"/>).</summary>
    public async Task<ClientStanding> StandingAsync(ApiClient row, CancellationToken cancellationToken) =>
        (await StandingsAsync([row], cancellationToken))[row.ClientId];

    /// <summary>
    /// Ends at once the tokens of every client whose secret <paramref name="target"/> holds, after that person was
    /// deactivated or given another role: a deactivated holder's clients are refused new tokens until an administrator
    /// issues a new secret (or the person is reactivated); after a role change, the next token carries what the holder
    /// may give now. Each client's ending goes into the admin log (revoke_api_client_tokens), naming why. Answers how
    /// many clients were touched.
    /// </summary>
    public async Task<int> EndTokensHeldByAsync(ClientAdministrator actor, ReadinessUser target, string reason, string? client, CancellationToken cancellationToken)
    {
        if (target.Email is not { } email)
        {
            return 0;
        }

        var ended = 0;
        foreach (var clientId in await accounts.ClientSecretsHeldByAsync(email, cancellationToken))
        {
            var row = await FindAsync(clientId, cancellationToken);
            if (row is null || !row.IsActive(Now) || await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application)
            {
                continue;
            }

            var revoked = await tokens.RevokeByApplicationIdAsync((await applications.GetIdAsync(application, cancellationToken))!, cancellationToken);
            await accounts.LogAsync(actor.Subject, AccountRules.Name(actor.Kind), actor.Tenant, "revoke_api_client_tokens", row.ClientId, row.Tenant,
                $"{row.Name}: {ClientRules.Name(row.Scope)} {row.Tenant}; secret held by {email}", $"{reason}; {revoked} token(s) revoked", client, cancellationToken);
            ended++;
        }

        return ended;
    }

    /// <summary>
    /// A new secret for a client the actor administers, for a planned rotation or after a leak: the same client_id,
    /// tenant, scope and expiry. The old secret is refused from this moment, and the tokens issued with it are revoked
    /// (the API checks each token's entry, so they stop at once); the client asks for a new token with the new secret.
    /// The actor holds the new secret: the client's changes are recorded in the actor's name from now on.
    /// Faults: "not_found" (no such client among the actor's), "client_inactive" (revoked or expired: create a new one),
    /// "forbidden_secret" (a write client, and the actor may not give write to its tenant: it may revoke it).
    /// </summary>
    public async Task<(AccountResult Result, ClientCreated? Rotated)> RotateSecretAsync(ClientAdministrator actor, string clientId, string? client, CancellationToken cancellationToken)
    {
        var row = await db.ApiClients.AsNoTracking().FirstOrDefaultAsync(c => c.ClientId == clientId, cancellationToken);
        if (row is null || !ClientRules.CanAdminister(actor, row.Tenant))
        {
            return (AccountResult.Fail("clientId", "not_found"), null);
        }

        if (!row.IsActive(Now) || await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application)
        {
            return (AccountResult.Fail("clientId", "client_inactive"), null);
        }

        // Whoever issues a new secret holds it, and the client then writes in that person's name: so a write client's
        // secret goes only to someone who may give write to its tenant, as at creation (a prefecture administrator
        // may revoke its municipalities' write clients, not take their secrets).
        if (row.Scope == ClientScope.Write && !ClientRules.MayGrantWrite(AccountRules.Name(actor.Kind), actor.Tenant, row.Tenant))
        {
            return (AccountResult.Fail("clientId", "forbidden_secret"), null);
        }

        var secret = AccountService.NewSecret();
        await applications.UpdateAsync(application, secret, cancellationToken); // OpenIddict stores its hash only
        var revoked = await tokens.RevokeByApplicationIdAsync((await applications.GetIdAsync(application, cancellationToken))!, cancellationToken);
        await accounts.LogAsync(actor.Subject, AccountRules.Name(actor.Kind), actor.Tenant, "rotate_api_client_secret", row.ClientId, row.Tenant,
            $"{row.Name}: {ClientRules.Name(row.Scope)} {row.Tenant}", $"new secret; {revoked} token(s) revoked", client, cancellationToken);
        return (AccountResult.Ok, new ClientCreated(row, secret));
    }

    /// <summary>Revokes a client the actor administers: not found (or not theirs) gives "not_found".</summary>
    public async Task<AccountResult> RevokeAsync(ClientAdministrator actor, string clientId, string? client, CancellationToken cancellationToken)
    {
        var row = await db.ApiClients.FirstOrDefaultAsync(c => c.ClientId == clientId, cancellationToken);
        if (row is null || !ClientRules.CanAdminister(actor, row.Tenant))
        {
            return AccountResult.Fail("clientId", "not_found");
        }

        if (row.RevokedAtUtc is null)
        {
            row.RevokedAtUtc = Now;
            row.RevokedBy = actor.Subject;
            await db.SaveChangesAsync(cancellationToken);
            await accounts.LogAsync(actor.Subject, AccountRules.Name(actor.Kind), actor.Tenant, "revoke_api_client", row.ClientId, row.Tenant,
                $"{row.Name}: {ClientRules.Name(row.Scope)} {row.Tenant}", "revoked", client, cancellationToken);
        }

        // The application goes, and OpenIddict's store deletes its tokens with it.
        if (await applications.FindByClientIdAsync(clientId, cancellationToken) is { } application)
        {
            await applications.DeleteAsync(application, cancellationToken);
        }

        return AccountResult.Ok;
    }
}

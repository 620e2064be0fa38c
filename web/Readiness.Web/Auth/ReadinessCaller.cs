using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Web.Auth;

/// <summary>
/// Who is calling, as the authenticated claims say: subject, role and tenant (a municipality or prefecture code), and
/// the API client the token was issued to, if it names one. Null when the claims do not make a valid caller (unknown
/// role, a tenant missing or not in the catalog, or any of these claims with more than one distinct value: a token
/// with tenant ["271004","131016"] is refused, never read as its first value).
/// </summary>
public sealed record ReadinessCaller(string Subject, Role Role, string? Tenant)
{
    /// <summary>Claims naming the OAuth client a token was issued to (RFC 9068 client_id, OpenID Connect azp).</summary>
    public static readonly string[] ClientClaims = ["client_id", "azp"];

    /// <summary>
    /// The OAuth client the token was issued to (client_id, else azp), or null. A person's token from an identity provider
    /// names one too (the application the person signed in with: OpenID Connect azp, RFC 9068 client_id); it keeps its
    /// own rate-limit budget, but only <see cref="IsApiClient"/> makes the caller a machine.
    /// </summary>
    public string? Client { get; init; }

    /// <summary>
    /// Whether the token has no person behind it, only a client acting for itself (a client credentials grant): the
    /// subject names the client (RFC 9068 §2.2: sub equals client_id), or is this product's own client subject
    /// "client:{client_id} ({creator})" (<c>/connect/token</c>). Such a caller has no notification inbox and administers
    /// no API clients; a person whose token names the application they signed in with (azp) keeps both.
    /// </summary>
    public bool IsApiClient => Client is { } client
        && (Subject == client || Subject == "client:" + client || Subject.StartsWith("client:" + client + " ", StringComparison.Ordinal));

    /// <summary>A municipality viewer's account (claim read_only=true): reads its municipality, never reports.</summary>
    public bool ReadOnly { get; init; }

    public static ReadinessCaller? From(ClaimsPrincipal? user, ReadinessAuthOptions options)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        // Every claim the authorization reads must be single-valued (distinct values, across all identities). One pass
        // over the claims: this runs several times on every request (authorization, rate limiting, the endpoint), so
        // it allocates nothing of its own but the caller (no lists of types and values, no boxed enumerators: ~0.8 KB
        // a change, issue 14).
        string? subject = null, roleText = null, tenant = null, clientId = null, authorizedParty = null;
        var readOnly = false;
        var consistent = true;
        if (user.Identities is List<ClaimsIdentity> identities)
        {
            foreach (var identity in identities)
            {
                Read(identity);
            }
        }
        else
        {
            foreach (var identity in user.Identities)
            {
                Read(identity);
            }
        }

        if (!consistent)
        {
            return null;
        }

        void Read(ClaimsIdentity? identity)
        {
            if (identity is null)
            {
                return; // as ClaimsPrincipal.FindAll does
            }

            if (identity.Claims is List<Claim> claims)
            {
                foreach (var claim in claims)
                {
                    Take(claim);
                }
            }
            else
            {
                foreach (var claim in identity.Claims)
                {
                    Take(claim);
                }
            }
        }

        void Take(Claim claim)
        {
            if (string.Equals(claim.Type, "read_only", StringComparison.OrdinalIgnoreCase) && claim.Value == "true")
            {
                readOnly = true;
            }

            // The same claim type may be configured for two of them: each takes it, as a list of types did.
            Single(claim, options.SubjectClaim, ref subject);
            Single(claim, options.RoleClaim, ref roleText);
            Single(claim, options.TenantClaim, ref tenant);
            Single(claim, ClientClaims[0], ref clientId);
            Single(claim, ClientClaims[1], ref authorizedParty);
        }

        void Single(Claim claim, string type, ref string? value)
        {
            if (string.Equals(claim.Type, type, StringComparison.OrdinalIgnoreCase))
            {
                if (value is { } seen && !string.Equals(seen, claim.Value, StringComparison.Ordinal))
                {
                    consistent = false;
                }

                value = claim.Value;
            }
        }

        if (!IsValidSubject(subject) || !TryParseRole(roleText, out var role)
            || (clientId is not null && !IsValidIdentifier(clientId)) || (authorizedParty is not null && !IsValidIdentifier(authorizedParty)))
        {
            return null;
        }

        return IsValidTenant(role, tenant)
            ? new ReadinessCaller(subject, role, role is Role.National or Role.Admin ? null : tenant) { Client = clientId ?? authorizedParty, ReadOnly = readOnly }
            : null;
    }

    /// <summary>
    /// The longest subject taken, in UTF-16 characters: OpenID Connect Core 1.0 §2 caps "sub" at 255 ASCII characters.
    /// Every store of a subject (the audit trail's actor, notification recipients, preferences) holds this many.
    /// </summary>
    public const int MaxSubjectLength = 255;

    /// <summary>
    /// A subject the product can attribute changes to and store: 1 to <see cref="MaxSubjectLength"/> characters, not
    /// blank, no control or invisible characters (a NUL, which PostgreSQL text cannot hold, or a line break that would
    /// forge a line of a log).
    /// </summary>
    public static bool IsValidSubject([NotNullWhen(true)] string? subject) => IsValidIdentifier(subject);

    /// <summary>
    /// The rule of an identifier a token carries (sub, client_id, azp): 1 to <see cref="MaxSubjectLength"/> characters,
    /// no white space at either end (" tanaka " is not "tanaka", yet displays as it), no control, format or invisible
    /// character (<see cref="FreeText.Check"/>).
    /// </summary>
    public static bool IsValidIdentifier([NotNullWhen(true)] string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= MaxSubjectLength
        && !char.IsWhiteSpace(value[0]) && !char.IsWhiteSpace(value[^1])
        && FreeText.Check(value, multiline: false).Fault == FreeTextFault.None;

    /// <summary>
    /// Why claims that make no caller (<see cref="From"/> gave null) are refused, as a problem's field, code and
    /// message (Japanese, English): the subject when it is not valid, else the role or tenant.
    /// </summary>
    public static (string Field, string Code, string Ja, string En) Refusal(ClaimsPrincipal? user, ReadinessAuthOptions options)
    {
        List<string> Values(string type) => user?.Identities.Where(i => i is not null).SelectMany(i => i.Claims)
            .Where(c => string.Equals(c.Type, type, StringComparison.OrdinalIgnoreCase)).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList() ?? [];

        var subjects = Values(options.SubjectClaim);
        if (subjects.Count != 1 || !IsValidSubject(subjects[0]))
        {
            return ("sub", "invalid_subject",
                $"トークンの利用者（sub）は1つだけ、前後に空白がなく制御文字・不可視文字を含まない1〜{MaxSubjectLength}文字で指定してください。",
                $"The token's subject (sub) must be one value of 1 to {MaxSubjectLength} characters, without white space at either end and without control or invisible characters (OpenID Connect Core 1.0 §2).");
        }

        foreach (var type in ClientClaims)
        {
            var clients = Values(type);
            if (clients.Count > 1 || (clients.Count == 1 && !IsValidIdentifier(clients[0])))
            {
                return (type, "invalid_client",
                    $"トークンのクライアント（{type}）は1つだけ、前後に空白がなく制御文字・不可視文字を含まない1〜{MaxSubjectLength}文字で指定してください。",
                    $"The token's client ({type}) must be one value of 1 to {MaxSubjectLength} characters, without white space at either end and without control or invisible characters.");
            }
        }

        return ("role", "invalid_role", "トークンの役割（role）または団体コード（tenant）が正しくありません。", "The token's role or tenant claim is missing or not valid.");
    }

    /// <summary>The four roles a person can have; "system" is the product's own and never comes from a token.</summary>
    public static bool TryParseRole(string? text, out Role role) =>
        Wire.TryParse(text, out role) && role is Role.Municipality or Role.Prefecture or Role.National or Role.Admin;

    public static bool IsValidTenant(Role role, string? tenant) => role switch
    {
        Role.Municipality => tenant is not null && ReadinessCatalog.Instance.IsMunicipality(tenant),
        Role.Prefecture => tenant is not null && ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(tenant),
        Role.National or Role.Admin => true,
        _ => false,
    };

    public Actor ToActor() => new(Subject, Role, Tenant);

    /// <summary>
    /// The rate-limit partition of this caller: one per person (role, tenant, subject) and per API client, so that
    /// colleagues of the same tenant do not share a budget.
    /// </summary>
    public string PartitionKey => $"{Wire.Name(Role)}:{Tenant ?? "-"}:{Subject}{(Client is null ? null : "@" + Client)}";

    /// <summary>The tenant-wide ceiling's partition: the municipality or prefecture, or all national staff, or all admins.</summary>
    public string TenantPartitionKey => Tenant is null ? Wire.Name(Role) : $"{Wire.Name(Role)}:{Tenant}";
}

/// <summary>
/// The tenant rules, in one place: the authorization handler applies them to every HTTP endpoint, and
/// <see cref="Api.ReportingService"/> applies them again to every write (the dashboard calls it directly).
/// </summary>
public static class TenantAccess
{
    /// <summary>Summaries (catalog, nation, prefectures): every signed-in role.</summary>
    public static bool CanReadSummaries(ReadinessCaller? caller) => caller is not null;

    /// <summary>A municipality's full state and history: itself, its prefecture, national and admin.</summary>
    public static bool CanReadMunicipality(ReadinessCaller? caller, string code) => caller?.Role switch
    {
        Role.National or Role.Admin => true,
        Role.Prefecture => code.Length >= 2 && code[..2] == caller.Tenant,
        Role.Municipality => code == caller.Tenant,
        _ => false,
    };

    /// <summary>Only the municipality itself reports its data.</summary>
    /// <summary>
    /// The municipality pages <paramref name="caller"/> may open, as a code prefix for a page's script: "*" every one,
    /// a prefecture's 2 digits its municipalities, a municipality's 6 digits itself, "" none (anonymous). The same rule
    /// as <see cref="CanReadMunicipality"/>, for links drawn by the map's script.
    /// </summary>
    public static string MunicipalityScope(ReadinessCaller? caller) => caller?.Role switch
    {
        Role.National or Role.Admin => "*",
        Role.Prefecture or Role.Municipality => caller.Tenant ?? string.Empty,
        _ => string.Empty,
    };

    public static bool CanWriteMunicipality(ReadinessCaller? caller, string code) => caller is { Role: Role.Municipality, ReadOnly: false } && caller.Tenant == code;

    /// <summary>A prefecture's own prefecture-run systems in full: that prefecture, national and admin.</summary>
    public static bool CanReadPrefectureRun(ReadinessCaller? caller, string prefectureCode) => caller?.Role switch
    {
        Role.National or Role.Admin => true,
        Role.Prefecture => caller.Tenant == prefectureCode,
        _ => false,
    };

    /// <summary>The changes across a prefecture's municipalities (their audit trails): that prefecture, national staff, administrators.</summary>
    public static bool CanReadPrefectureChanges(ReadinessCaller? caller, string prefectureCode) => CanReadPrefectureRun(caller, prefectureCode);

    /// <summary>Only the prefecture's own staff report the businesses it runs (児童扶養手当, 生活保護).</summary>
    public static bool CanWritePrefectureRun(ReadinessCaller? caller, string prefectureCode) =>
        caller is { Role: Role.Prefecture, ReadOnly: false } && caller.Tenant == prefectureCode;

    /// <summary>
    /// Why a write was refused, for the caller's own tenant when its credentials are read-only (a viewer account, or an
    /// API client with the read scope: RFC 6750's insufficient_scope), else <paramref name="otherTenant"/>'s refusal: it
    /// is not the caller's. One wording for every write endpoint and the authorization policy.
    /// </summary>
    /// <param name="ownTenant">Whether <paramref name="caller"/> has the tenant and role that would write here.</param>
    /// <param name="otherTenant">The refusal when it does not (field, code, Japanese, English).</param>
    public static (string Field, string Code, string Ja, string En) WriteRefusal(ReadinessCaller? caller, bool ownTenant, (string Field, string Code, string Ja, string En) otherTenant) =>
        caller is { ReadOnly: true } && ownTenant
            ? ("Authorization", "insufficient_scope",
                "この資格情報は閲覧専用です（閲覧者のアカウント、または read スコープの API クライアント）。データを更新することはできません。",
                "These credentials are read-only (a viewer account, or an API client with the read scope): they cannot change data.")
            : otherTenant;

    /// <summary>The detailed CSV export: national and admin for any prefecture or all, a prefecture for its own.</summary>
    public static bool CanExport(ReadinessCaller? caller, string? prefectureCode) => caller?.Role switch
    {
        Role.National or Role.Admin => true,
        Role.Prefecture => prefectureCode is null || prefectureCode == caller.Tenant,
        _ => false,
    };
}

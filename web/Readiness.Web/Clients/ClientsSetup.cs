using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Validation.AspNetCore;
using Readiness.Hosting;
using Readiness.Web.Auth;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Readiness.Web.Clients;

/// <summary>
/// API clients: OpenIddict as the product's authorization server (client credentials at /connect/token, stores in the
/// product's database) and OpenIddict's validation, with local server integration, as one more scheme behind the API's
/// policy scheme. Why not JWTs for the existing bearer handler: that handler trusts either the local key or an external
/// authority, never both, and cannot tell a revoked client's token; OpenIddict's validation checks each token's entry
/// in the store (EnableTokenEntryValidation), so revoking a client ends its tokens at once, with no cache to wait for.
/// OpenIddict's tokens are encrypted (JWE, five dot-separated parts): that is how the policy scheme tells them apart.
/// </summary>
public static class ClientsSetup
{
    public const string TokenPath = "/connect/token";

    /// <summary>The advisory lock key of the client tables (distinct from the identity and Orleans schema locks).</summary>
    private const long PostgresLockKey = 0x5265616469_636c;

    /// <summary>The section (Readiness:Clients:RequireHttps): the token endpoint refuses plain HTTP unless false (default: false outside Production).</summary>
    [Readiness.Hosting.SettingType(typeof(bool?))] // read as GetValue<bool?>: empty is the default
    public const string RequireHttpsKey = "Readiness:Clients:RequireHttps";

    /// <summary>
    /// Whether an Authorization header value carries one of the product's API client tokens: a bearer token in JWE
    /// compact form (RFC 7516 §7.1: five dot-separated parts), as OpenIddict issues them; every other bearer token is a JWS
    /// (three parts) for the bearer handler.
    /// </summary>
    public static bool IsClientToken(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.AsSpan().Count('.') == 4;

    public static WebApplicationBuilder AddReadinessClients(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var requireHttps = builder.Configuration.GetValue<bool?>(RequireHttpsKey) ?? builder.Environment.IsProduction();
        services.AddSingleton<IStorageStartStep, ClientTables>();
        services.AddDbContext<ClientsDb>((sp, o) =>
        {
            var storage = sp.GetRequiredService<IStorageConnection>();
            if (storage.Invariant == SiloHosting.SqliteInvariant)
            {
                o.UseSqlite(storage.ConnectionString);
            }
            else
            {
                o.UseNpgsql(storage.ConnectionString);
            }

            o.UseOpenIddict();
        });
        services.AddScoped<ClientService>();
        services.AddSingleton<TokenRequestLimits>();

        services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<ClientsDb>())
            .AddServer(o =>
            {
                o.SetTokenEndpointUris(TokenPath.TrimStart('/'));
                o.AllowClientCredentialsFlow();
                o.RegisterScopes("read", "write");
                o.SetAccessTokenLifetime(ClientRules.MaxTokenLifetime);
                // OpenIddict's own codes where RFC 6749 §5.2 gives the fault another: set before its handlers turn the
                // code into a status (invalid_client: 401 and WWW-Authenticate).
                o.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        TokenErrors.Apply(context.Response);
                        return default;
                    })
                    .SetOrder(int.MinValue + 100_000));
                o.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        TokenErrors.AddJapanese(context.Response);
                        return default;
                    })
                    .SetOrder(OpenIddict.Server.AspNetCore.OpenIddictServerAspNetCoreHandlers.AttachWwwAuthenticateHeader<OpenIddictServerEvents.ApplyTokenResponseContext>.Descriptor.Order + 1));
                // OpenIddict takes openid and offline_access from any client (no permission needed) and lists openid in
                // discovery; a client-credentials client gets neither an ID token nor a refresh token, and openid then
                // gave the client's own scopes. Refused as any scope this server does not grant (RFC 6749 §5.2).
                o.Configure(options => options.Scopes.ExceptWith([Scopes.OpenId, Scopes.OfflineAccess]));
                o.AddEventHandler<OpenIddictServerEvents.ValidateTokenRequestContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        if (context.Request.GetScopes().FirstOrDefault(s => s is Scopes.OpenId or Scopes.OfflineAccess) is { } scope)
                        {
                            context.Reject(Errors.InvalidScope, $"The '{Api.Problems.Shown(scope)}' scope is not offered: API clients ask for read, write or none (RFC 6749 section 3.3).");
                        }

                        return default;
                    })
                    .SetOrder(int.MinValue + 50_000));
                var aspNetCore = o.UseAspNetCore().EnableTokenEndpointPassthrough();
                if (!requireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();
                o.UseAspNetCore();
                o.EnableTokenEntryValidation(); // a revoked client's tokens are refused at once
            });

        // Keys derived from the product's local key (Readiness:Auth:SigningKey, or the data folder's): every web node
        // of a cluster configured with the same key signs and reads the same tokens, and a restart keeps them valid.
        services.AddOptions<OpenIddictServerOptions>().Configure<IOptions<ReadinessAuthOptions>, IOptions<ReadinessOptions>>((o, auth, readiness) =>
        {
            var root = LocalSigningKey.Resolve(auth.Value, readiness.Value).Key;
            // OpenIddict signs with an asymmetric key: a P-256 key whose private scalar is derived (below the group order).
            var scalar = Derive(root, "readiness api clients: signing").Key;
            scalar[0] &= 0x7F;
            var signing = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar });
            o.SigningCredentials.Add(new SigningCredentials(new ECDsaSecurityKey(signing), SecurityAlgorithms.EcdsaSha256));
            o.EncryptionCredentials.Add(new EncryptingCredentials(Derive(root, "readiness api clients: encryption"), SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        });

        // Bearer tokens in JWE form (five parts) are the product's own client tokens; the rest go where they went before.
        services.PostConfigure<PolicySchemeOptions>(AuthSetup.Scheme, o =>
        {
            var inner = o.ForwardDefaultSelector;
            o.ForwardDefaultSelector = http => IsClientToken(http.Request.Headers.Authorization.ToString())
                ? OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme
                : inner?.Invoke(http);
        });
        services.AddSingleton<ICredentialRevalidator, ClientCredentialRevalidator>();

        // OpenIddict's request handlers see only the requests they have a part in (RequestHandlerSchemes).
        services.AddHttpContextAccessor();
        services.Replace(ServiceDescriptor.Singleton<IAuthenticationSchemeProvider, RequestHandlerSchemes>());
        return builder;
    }

    /// <summary>Maps the endpoints (the client tables are made when the host starts, <see cref="ClientTables"/>).</summary>
    public static WebApplication UseReadinessClients(this WebApplication app)
    {
        app.MapClientsApi();
        app.MapClientPages();
        return app;
    }

    /// <summary>
    /// Reads a token request's form before OpenIddict does (it then reuses it), so that a form past the limits (a
    /// 16 KB body, field names of 2 KB, 1,024 fields) is refused as OAuth refuses a bad request (RFC 6749 §5.2:
    /// 400 invalid_request, 413 for the body's size) instead of failing inside OpenIddict with a 500. Counts every
    /// request against the token endpoint's budget first (<see cref="TokenRequestLimits"/>).
    /// </summary>
    // Any other path goes on without an async frame of its own (issue 14's allocation per change).
    public static Task ReadTokenFormAsync(HttpContext http, RequestDelegate next) =>
        http.Request.Path.Equals(TokenPath, StringComparison.Ordinal) ? TokenRequestAsync(http, next) : next(http);

    private static async Task TokenRequestAsync(HttpContext http, RequestDelegate next)
    {
        // Every request counts, whatever its method or fault (TokenRequestLimits): first the client address's budget.
        var limits = http.RequestServices.GetRequiredService<TokenRequestLimits>();
        if (limits.CountAddress(http) is { } wait)
        {
            await WriteThrottledAsync(http, wait, "client address");
            return;
        }

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            await next(http);
            return;
        }

        // A malformed Content-Type parameter (RFC 9110 §8.3.1), as on every other body the product reads, in OAuth's format.
        if (Api.MediaTypes.MalformedParameter(http.Request.ContentType) is not null)
        {
            await WriteInvalidRequestAsync(http, StatusCodes.Status400BadRequest, "The Content-Type header has a malformed or repeated parameter (RFC 9110 section 8.3.1).");
            return;
        }

        if (!http.Request.HasFormContentType)
        {
            await next(http); // OpenIddict refuses it: 400 invalid_request
            return;
        }

        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = Api.JsonBody.SmallBodyBytes;
        }

        string? fault = null;
        var status = StatusCodes.Status400BadRequest;
        http.Request.EnableBuffering(); // at most 16 KB: kept so that its bytes can be checked for UTF-8 (FormFields)
        try
        {
            await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            (status, fault) = (ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ex.StatusCode : StatusCodes.Status400BadRequest,
                $"The request body could not be read: {(ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? $"it is larger than {Api.JsonBody.SmallBodyBytes / 1024} KB" : "it is malformed")}.");
        }
        catch (InvalidDataException)
        {
            fault = "The form is past its limits (a field name over 2,048 characters, or over 1,024 fields).";
        }

        // RFC 6749 §3.2: parameters MUST NOT be included more than once. OpenIddict took a repeated scope as given and
        // described a repeated grant_type or client_id as missing. The rule of every form (FormFields): names compared
        // ignoring case, a file counting as a field, and bytes that are not UTF-8 (read as U+FFFD in silence) refused.
        if (fault is null && Components.Access.FormFields.FirstRepeated(http.Request.Form) is { } repeated)
        {
            fault = $"The '{Described(repeated)}' parameter is given more than once (RFC 6749 section 3.2).";
        }

        if (fault is null && await Components.Access.FormFields.FirstNotUtf8Async(http.Request) is { } notUtf8)
        {
            fault = $"The '{Described(notUtf8)}' parameter holds bytes that are not UTF-8 (RFC 6749 appendix B).";
        }

        if (fault is not null)
        {
            await WriteInvalidRequestAsync(http, status, fault);
            return;
        }

        // Then the budget of the client it names, so that guessing one client's secret from many addresses is limited too.
        if (limits.CountClient(http) is { } clientWait)
        {
            await WriteThrottledAsync(http, clientWait, "client_id");
            return;
        }

        await next(http);
    }

    /// <summary>
    /// A parameter's name as error_description may hold it (RFC 6749 §5.2: printable ASCII but '"' and '\\'), cut
    /// to 64 characters; anything else is '?' (the Japanese member repeats it).
    /// </summary>
    internal static string Described(string name) =>
        new([.. name.Take(64).Select(c => c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '?')]);

    private static Task WriteInvalidRequestAsync(HttpContext http, int status, string description) =>
        WriteErrorAsync(http, status, Errors.InvalidRequest, description);

    /// <summary>
    /// 429 in OAuth's format. RFC 6749 registers no code for throttling at the token endpoint; <c>slow_down</c> is the
    /// one the OAuth error registry has for "too many requests, wait" at the token endpoint (RFC 8628 §3.5), and a
    /// client that does not know it still sees an error and the Retry-After.
    /// </summary>
    private static async Task WriteThrottledAsync(HttpContext http, TimeSpan wait, string budget)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, null, "rate_limited", StatusCodes.Status429TooManyRequests, $"token requests: {budget} budget spent, retry after {seconds} s");
        await WriteErrorAsync(http, StatusCodes.Status429TooManyRequests, "slow_down",
            $"Too many token requests from this address or for this client (refused ones count too). Retry after {seconds} seconds.");
    }

    private static async Task WriteErrorAsync(HttpContext http, int status, string error, string description)
    {
        http.Response.StatusCode = status;
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsJsonAsync(new Dictionary<string, string>
        {
            ["error"] = error,
            ["error_description"] = description,
            [TokenErrors.JapaneseMember] = TokenErrors.Japanese(error, description),
        }, http.RequestAborted);
    }

    private static SymmetricSecurityKey Derive(byte[] root, string purpose) =>
        new(HKDF.DeriveKey(HashAlgorithmName.SHA256, root, 32, salt: [], info: Encoding.UTF8.GetBytes(purpose)));

    /// <summary>As <see cref="Identity.IdentitySchema"/>: CreateTables once, when readiness_api_clients is missing; on PostgreSQL under an advisory lock.</summary>
    /// <summary>
    /// Creates the client tables if missing when the host starts, after the product's schema and the identity tables,
    /// before the server takes requests (<see cref="StorageStart"/>).
    /// </summary>
    public sealed class ClientTables : IStorageStartStep
    {
        public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
        {
            using var scope = services.CreateScope();
            if (await EnsureSchemaAsync(scope.ServiceProvider.GetRequiredService<ClientsDb>()))
            {
                Console.WriteLine("Readiness API clients: tables created");
            }
        }
    }

    private static async Task<bool> EnsureSchemaAsync(ClientsDb db)
    {
        var postgres = db.Database.IsNpgsql();
        DbConnection? lockConnection = null;
        try
        {
            if (postgres)
            {
                lockConnection = new NpgsqlConnection(db.Database.GetConnectionString());
                await lockConnection.OpenAsync();
                await using var take = lockConnection.CreateCommand();
                take.CommandText = $"SELECT pg_advisory_lock({PostgresLockKey})";
                await take.ExecuteNonQueryAsync();
            }

            var connection = db.Database.GetDbConnection();
            await db.Database.OpenConnectionAsync();
            long count;
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = postgres
                    ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'readiness_api_clients'"
                    : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'readiness_api_clients'";
                count = Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }

            if (count > 0)
            {
                return false;
            }

            await db.GetService<IRelationalDatabaseCreator>().CreateTablesAsync();
            return true;
        }
        finally
        {
            if (lockConnection is not null)
            {
                await lockConnection.DisposeAsync();
            }
        }
    }
}

/// <summary>An open event stream of an API client ends when the client is revoked or expires (checked every RevalidationInterval).</summary>
public sealed class ClientCredentialRevalidator(IServiceScopeFactory scopes, TimeProvider time) : ICredentialRevalidator
{
    public async ValueTask<bool> IsStillValidAsync(System.Security.Claims.ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var clientId = user.FindFirst("client_id")?.Value;
        if (clientId is null || !clientId.StartsWith("rc_", StringComparison.Ordinal))
        {
            return true;
        }

        await using var scope = scopes.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<ClientService>().FindAsync(clientId, cancellationToken);
        return row is not null && row.IsActive(time.GetUtcNow().UtcDateTime);
    }
}

using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation.AspNetCore;

namespace Readiness.Web.Clients;

/// <summary>
/// The authentication schemes that ASP.NET Core's authentication middleware offers each request before anything else
/// (<see cref="IAuthenticationRequestHandler"/>), with OpenIddict's two left out of requests they have no part in:
/// the server's only on its endpoints (every address in <see cref="OpenIddictServerOptions"/>: the token endpoint
/// <see cref="ClientsSetup.TokenPath"/>, the discovery documents, the key set), the validation's only with an API
/// client's token (<see cref="ClientsSetup.IsClientToken"/>, the requests the API's policy scheme sends to it).
/// </summary>
/// <remarks>
/// Why: each of them, offered a request, creates an OpenIddict transaction and runs its request handlers (what
/// endpoint is this?) on every request, answered "none of mine" for all but those above. On the write path that was
/// ~5 % of the server's CPU at ~1,700 changes/s (the server's 4.0 %, the validation's 0.8 %: issue 14, fifteenth round).
/// A request they are offered still gets exactly what OpenIddict did before: its handlers attach the transaction that
/// their sign-in, authentication, challenge and forbid need. Every other scheme is offered every request as before.
/// </remarks>
public sealed class RequestHandlerSchemes(IOptions<AuthenticationOptions> options, IHttpContextAccessor http, IOptions<OpenIddictServerOptions> serverOptions)
    : AuthenticationSchemeProvider(options)
{
    private readonly Lazy<PathString[]> serverPaths = new(() => EndpointPaths(serverOptions.Value));
    private readonly Lock gate = new();
    private Lists? cached;
    private int generation; // schemes added or removed at run time: a list made from an older set is not kept

    /// <summary>
    /// The paths of every endpoint OpenIddict's server answers: each of its options' <c>…EndpointUris</c> lists (token,
    /// configuration and key set by default; any kind a later version adds is found the same way), relative addresses as
    /// paths, absolute ones by their path.
    /// </summary>
    public static PathString[] EndpointPaths(OpenIddictServerOptions options) =>
        [.. typeof(OpenIddictServerOptions).GetProperties()
            .Where(p => p.Name.EndsWith("EndpointUris", StringComparison.Ordinal) && typeof(IEnumerable<Uri>).IsAssignableFrom(p.PropertyType))
            .SelectMany(p => (IEnumerable<Uri>?)p.GetValue(options) ?? [])
            .Select(uri => new PathString("/" + (uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString).TrimStart('/')))
            .Distinct()];

    /// <inheritdoc/>
    public override Task<IEnumerable<AuthenticationScheme>> GetRequestHandlerSchemesAsync()
    {
        // The four lists' tasks are made once (per list of registered schemes) and handed out again: this runs on every
        // request, and a task per call was ~1 % of what a change allocated (issue 14).
        if (http.HttpContext?.Request is not { } request)
        {
            return base.GetRequestHandlerSchemesAsync();
        }

        var known = Volatile.Read(ref cached);
        return known is null ? FirstAsync(request) : known.ByNeed[Need(request)];
    }

    private async Task<IEnumerable<AuthenticationScheme>> FirstAsync(HttpRequest request)
    {
        var madeAt = Volatile.Read(ref generation); // before the list is read: a change after it makes this list not kept
        return For(await base.GetRequestHandlerSchemesAsync(), request, madeAt);
    }

    private void Forget()
    {
        lock (gate)
        {
            generation++;
            cached = null;
        }
    }

    /// <inheritdoc/>
    public override void AddScheme(AuthenticationScheme scheme)
    {
        base.AddScheme(scheme);
        Forget();
    }

    /// <inheritdoc/>
    public override bool TryAddScheme(AuthenticationScheme scheme)
    {
        var added = base.TryAddScheme(scheme);
        Forget();
        return added;
    }

    /// <inheritdoc/>
    public override void RemoveScheme(string name)
    {
        base.RemoveScheme(name);
        Forget();
    }

    /// <summary>
    /// <paramref name="all"/> (the registered request handler schemes), without OpenIddict's server scheme unless
    /// <paramref name="request"/> is to one of its endpoints (<see cref="EndpointPaths"/>), and without its validation
    /// scheme unless it carries an API client's token. The four possible lists are made once per list of registered schemes.
    /// </summary>
    public IEnumerable<AuthenticationScheme> For(IEnumerable<AuthenticationScheme> all, HttpRequest request) => For(all, request, Volatile.Read(ref generation));

    private IEnumerable<AuthenticationScheme> For(IEnumerable<AuthenticationScheme> all, HttpRequest request, int madeAt)
    {
        var known = Volatile.Read(ref cached);
        if (known is null || !ReferenceEquals(known.All, all))
        {
            // Schemes added or removed at run time give a new list (AuthenticationSchemeProvider copies it on change).
            var list = all.ToArray();
            Task<IEnumerable<AuthenticationScheme>> Keep(bool withServer, bool withValidation) =>
                Task.FromResult<IEnumerable<AuthenticationScheme>>([.. list.Where(s => (withServer || s.Name != OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)
                    && (withValidation || s.Name != OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme))]);
            known = new Lists(all, [Keep(false, false), Keep(true, false), Keep(false, true), Keep(true, true)]);
            lock (gate)
            {
                if (generation == madeAt)
                {
                    cached = known;
                }
            }
        }

        return known.ByNeed[Need(request)].Result;
    }

    // (a server endpoint ? 1 : 0) + (a client token ? 2 : 0)
    private int Need(HttpRequest request)
    {
        var server = false;
        foreach (var endpoint in serverPaths.Value)
        {
            server |= request.Path.StartsWithSegments(endpoint, StringComparison.OrdinalIgnoreCase);
        }

        return (server ? 1 : 0) + (ClientsSetup.IsClientToken(request.Headers.Authorization.ToString()) ? 2 : 0);
    }

    /// <summary>The registered list and its four filtered forms as completed tasks, indexed by <see cref="Need"/>.</summary>
    private sealed record Lists(IEnumerable<AuthenticationScheme> All, Task<IEnumerable<AuthenticationScheme>>[] ByNeed);
}

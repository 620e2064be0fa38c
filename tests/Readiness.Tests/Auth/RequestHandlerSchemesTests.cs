using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation.AspNetCore;
using Readiness.Web.Clients;
using Xunit;

namespace Readiness.Tests.Auth;

/// <summary>
/// OpenIddict's request handlers are offered only the requests they have a part in (the token endpoint; an API client's
/// JWE token); every other request handler scheme is offered every request. The end-to-end proof that client tokens
/// still work through it is ApiClientTests (token endpoint, API calls with the token, revocation).
/// </summary>
public sealed class RequestHandlerSchemesTests
{
    private const string Server = OpenIddictServerAspNetCoreDefaults.AuthenticationScheme;
    private const string Validation = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
    private const string Federation = "federation";
    private const string Jws = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    private const string Jwe = "Bearer eyJhbGciOiJBMjU2S1cifQ.a2V5.aXY.Y2lwaGVy.dGFn";

    private readonly HttpContextAccessor accessor = new();
    private readonly AuthenticationOptions options = new();
    private readonly RequestHandlerSchemes schemes;

    public RequestHandlerSchemesTests()
    {
        options.AddScheme(CookieAuthenticationDefaults.AuthenticationScheme, b => b.HandlerType = typeof(CookieAuthenticationHandler));
        options.AddScheme(Server, b => b.HandlerType = typeof(OpenIddictServerAspNetCoreHandler));
        options.AddScheme(Validation, b => b.HandlerType = typeof(OpenIddictValidationAspNetCoreHandler));
        options.AddScheme(Federation, b => b.HandlerType = typeof(OpenIdConnectHandler));
        // As the product configures OpenIddict's server (ClientsSetup): the token endpoint, and its default discovery and key-set addresses.
        var server = new OpenIddict.Server.OpenIddictServerOptions();
        server.TokenEndpointUris.Add(new Uri("connect/token", UriKind.Relative));
        schemes = new RequestHandlerSchemes(Options.Create(options), accessor, Options.Create(server));
    }

    [Theory]
    [InlineData("PUT", "/api/v1/municipalities/131016/security/sec-01", Jws, new[] { Federation })]
    [InlineData("GET", "/", "", new[] { Federation })]
    [InlineData("GET", "/signin-oidc", "", new[] { Federation })]
    [InlineData("POST", "/connect/token", "", new[] { Server, Federation })]
    [InlineData("POST", "/Connect/Token", "", new[] { Server, Federation })]
    [InlineData("PUT", "/api/v1/municipalities/131016/security/sec-01", Jwe, new[] { Validation, Federation })]
    [InlineData("GET", "/api/v1/nation", "bearer " + "a.b.c.d.e", new[] { Validation, Federation })]
    [InlineData("POST", "/connect/token", Jwe, new[] { Server, Validation, Federation })]
    [InlineData("GET", "/.well-known/openid-configuration", "", new[] { Server, Federation })]
    [InlineData("GET", "/.well-known/oauth-authorization-server", "", new[] { Server, Federation })]
    [InlineData("GET", "/.well-known/jwks", "", new[] { Server, Federation })]
    [InlineData("GET", "/.well-known/other", "", new[] { Federation })]
    public async Task Offers_OpenIddict_only_the_requests_it_has_a_part_in(string method, string path, string authorization, string[] expected)
    {
        accessor.HttpContext = Request(method, path, authorization);

        var offered = (await schemes.GetRequestHandlerSchemesAsync()).Select(s => s.Name).Order(StringComparer.Ordinal);

        Assert.Equal(expected.Order(StringComparer.Ordinal), offered);
    }

    [Fact]
    public void The_server_endpoints_are_every_address_in_its_options()
    {
        var server = new OpenIddict.Server.OpenIddictServerOptions();
        server.TokenEndpointUris.Add(new Uri("connect/token", UriKind.Relative));
        server.RevocationEndpointUris.Add(new Uri("https://auth.example/connect/revoke"));

        var paths = RequestHandlerSchemes.EndpointPaths(server).Select(p => p.Value);

        Assert.Equal(new[] { "/.well-known/jwks", "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/connect/revoke", "/connect/token" },
            paths.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Outside_a_request_every_request_handler_scheme_is_offered()
    {
        var offered = (await schemes.GetRequestHandlerSchemesAsync()).Select(s => s.Name).Order(StringComparer.Ordinal);

        Assert.Equal(new[] { Server, Validation, Federation }.Order(StringComparer.Ordinal), offered);
    }

    [Fact]
    public async Task A_scheme_added_at_run_time_is_offered_from_then_on()
    {
        accessor.HttpContext = Request("GET", "/api/v1/nation", Jws);
        Assert.Equal([Federation], (await schemes.GetRequestHandlerSchemesAsync()).Select(s => s.Name));

        schemes.AddScheme(new AuthenticationScheme("second-federation", null, typeof(OpenIdConnectHandler)));

        Assert.Equal(new[] { Federation, "second-federation" }.Order(StringComparer.Ordinal),
            (await schemes.GetRequestHandlerSchemesAsync()).Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_scheme_removed_at_run_time_is_no_longer_offered()
    {
        accessor.HttpContext = Request("POST", "/connect/token", Jwe);
        Assert.Contains(Server, (await schemes.GetRequestHandlerSchemesAsync()).Select(s => s.Name));

        schemes.RemoveScheme(Server);

        Assert.DoesNotContain(Server, (await schemes.GetRequestHandlerSchemesAsync()).Select(s => s.Name));
    }

    [Fact]
    public async Task Requests_of_the_same_kind_get_the_same_answer_without_a_new_task()
    {
        // Issue 14: this runs on every request; the answer for each kind is made once and handed out again.
        accessor.HttpContext = Request("PUT", "/api/v1/municipalities/131016/security/sec-01", Jws);
        await schemes.GetRequestHandlerSchemesAsync();
        var first = schemes.GetRequestHandlerSchemesAsync();
        accessor.HttpContext = Request("GET", "/api/v1/nation", Jws);
        var second = schemes.GetRequestHandlerSchemesAsync();
        accessor.HttpContext = Request("POST", "/connect/token", "");
        var token = schemes.GetRequestHandlerSchemesAsync();

        Assert.Same(first, second);
        Assert.NotSame(first, token);
        Assert.Equal([Federation], (await second).Select(s => s.Name));
    }

    [Theory]
    [InlineData("Bearer a.b.c.d.e", true)]
    [InlineData("bearer a.b.c.d.e", true)]
    [InlineData("Bearer a.b.c", false)]
    [InlineData("Basic a.b.c.d.e", false)]
    [InlineData("", false)]
    public void A_client_token_is_a_bearer_JWE(string authorization, bool expected) =>
        Assert.Equal(expected, ClientsSetup.IsClientToken(authorization));

    private static DefaultHttpContext Request(string method, string path, string authorization)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Path = path;
        if (authorization.Length > 0)
        {
            http.Request.Headers.Authorization = authorization;
        }

        return http;
    }
}

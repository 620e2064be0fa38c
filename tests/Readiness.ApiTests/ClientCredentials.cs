using Readiness.Web.Clients;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>The client credentials grant as a connected system sends it: a form to the token endpoint.</summary>
public static class ClientCredentials
{
    /// <summary>POST /connect/token with client_id and client_secret in the form, and the scope when given.</summary>
    public static async Task<HttpResponseMessage> ClientTokenResponseAsync(this ApiHost host, string clientId, string secret, string? scope)
    {
        using var http = host.Client();
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        return await http.PostAsync(ClientsSetup.TokenPath, new FormUrlEncodedContent(form));
    }

    /// <summary>The access token the token endpoint gives; fails the test, showing the answer, when it gives none.</summary>
    public static async Task<string> ClientTokenAsync(this ApiHost host, string clientId, string secret, string? scope)
    {
        using var response = await host.ClientTokenResponseAsync(clientId, secret, scope);
        var json = await ApiHost.Json(response);
        Assert.True(response.IsSuccessStatusCode, $"token: {response.StatusCode} {json}");
        return json.GetProperty("access_token").GetString()!;
    }
}

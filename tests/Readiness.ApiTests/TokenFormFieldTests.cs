using System.Net;
using System.Text;
using System.Text.Json;
using Readiness.Web.Clients;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The token endpoint's form under the rule of every form (a breaker's finding, round 47): a parameter whose bytes are
/// not UTF-8 (read as U+FFFD in silence) and one given twice, in any case of its name, are refused in OAuth's own
/// format (RFC 6749 §5.2: 400 invalid_request, error_description naming the parameter in printable ASCII, Japanese beside it).
/// </summary>
public sealed class TokenFormFieldTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Theory]
    [InlineData("grant_type=client_credentials&client_id=abc%FF&client_secret=x", "client_id", "not UTF-8")]
    [InlineData("grant_type=client_credentials&client_id=abc&client_secret=x&scope=re%C3ad", "scope", "not UTF-8")]
    [InlineData("grant_type=client_credentials&client_id=abc&client_secret=x&client_id=def", "client_id", "more than once")]
    [InlineData("grant_type=client_credentials&client_id=abc&client_secret=x&CLIENT_ID=def", "CLIENT_ID", "more than once")]
    [InlineData("grant_type=client_credentials&client_id=abc&client_secret=x&sc%C3%A9ne=1&sc%C3%A9ne=2", "sc?ne", "more than once")]
    public async Task A_parameter_not_utf8_or_given_twice_is_invalid_request_naming_it(string form, string named, string fault)
    {
        using var client = host.Client();
        using var response = await client.PostAsync(ClientsSetup.TokenPath, new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
        var description = body.GetProperty("error_description").GetString()!;
        Assert.True(description.Contains($"'{named}'", StringComparison.OrdinalIgnoreCase) && description.Contains(fault, StringComparison.Ordinal), description);
        Assert.True(description.All(c => c is >= ' ' and <= '~' and not '"' and not '\\'), description); // RFC 6749 §5.2
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty(TokenErrors.JapaneseMember).GetString()));
    }
}

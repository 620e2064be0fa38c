using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The webhook API's refusals in the page's words and its duplicate check on what the receiver really is (round 50):
/// a missing or null url was told as "'url' is required" / "cannot be null"; the same URL with a #fragment, a host
/// with a trailing dot or in capitals, or the scheme's default port written out was registered a second time (every
/// event sent twice); not_https offered http to this machine, which is refused; an empty tenant was told to be left empty.
/// </summary>
public sealed class WebhookWordingTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>Failed before: the JSON reader's own "「url」は必須です" / null_not_allowed, naming no field the page shows.</summary>
    [Theory]
    [InlineData("{\"tenant\":\"13\"}")]
    [InlineData("{\"url\":null,\"tenant\":\"13\"}")]
    public async Task A_missing_or_null_url_is_asked_for_in_the_pages_words(string body)
    {
        using var admin = host.Client(host.Token(Role.Admin, subject: "wording.admin@digital.go.jp"));
        using var response = await admin.PostAsync("/api/v1/admin/webhooks", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "url");
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("required", error.GetProperty("code").GetString());
        Assert.Contains("受信 URL", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("receiver URL", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("null", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Failed before: each spelling was 201, a second endpoint for the same receiver.</summary>
    [Theory]
    [InlineData("https://hooks.example/same#part", "01")]
    [InlineData("https://hooks.example./same", "02")]
    [InlineData("https://HOOKS.Example/same", "03")]
    [InlineData("https://hooks.example:443/same", "04")]
    public async Task The_same_receiver_spelt_otherwise_is_refused_409(string spelling, string tenant)
    {
        using var admin = host.Client(host.Token(Role.Admin, subject: "wording.admin@digital.go.jp"));
        using (var first = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = "https://hooks.example/same", tenant }))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var second = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = spelling, tenant });
        var problem = await ApiHost.AssertProblem(second, HttpStatusCode.Conflict, "url");
        Assert.Equal("already_registered", problem.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    /// <summary>Failed before: "http only to a receiver on this machine", an address every registration refuses.</summary>
    [Fact]
    public async Task Not_https_says_what_is_accepted_and_offers_nothing_refused()
    {
        using var admin = host.Client(host.Token(Role.Admin, subject: "wording.admin@digital.go.jp"));
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = "http://hooks.example/plain" });
        var error = (await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "url")).GetProperty("errors")[0];
        Assert.Equal("not_https", error.GetProperty("code").GetString());
        Assert.Contains("https://", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("このマシン", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("this machine", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);

        // What the old text offered is indeed refused.
        using var loopback = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = "http://127.0.0.1:9/hook" });
        Assert.Equal(HttpStatusCode.BadRequest, loopback.StatusCode);
    }

    /// <summary>Failed before: "The tenant is an empty text. … leave the tenant empty".</summary>
    [Fact]
    public async Task An_empty_tenant_is_told_to_be_left_out_not_left_empty()
    {
        using var admin = host.Client(host.Token(Role.Admin, subject: "wording.admin@digital.go.jp"));
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = "https://hooks.example/empty-tenant", tenant = "" });
        var error = (await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "tenant")).GetProperty("errors")[0];
        var (ja, en) = (error.GetProperty("messageJa").GetString()!, error.GetProperty("messageEn").GetString()!);
        Assert.DoesNotContain("空欄", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("leave the tenant empty", en, StringComparison.Ordinal);
        Assert.Contains("tenant", en, StringComparison.Ordinal);
        Assert.Contains("省", ja, StringComparison.Ordinal);
    }
}

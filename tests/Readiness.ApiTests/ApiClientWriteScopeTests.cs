using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Readiness.Web.Clients;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Who may give an API client the write scope (breaker's finding M2): prefecture staff read their municipalities and
/// never report for them, so a prefecture administrator may create read clients for its municipalities but not write
/// ones (403 forbidden_scope naming scope, nothing created); its own prefecture's write client, and a municipality
/// administrator's write client for its own municipality, stay allowed and write. A write client made before the rule
/// by a prefecture administrator for a municipality (or one whose creation is not on record) gets read-only tokens.
/// Real accounts (first-run setup, invitations, a second factor) on a real Kestrel host.
/// </summary>
public sealed class ApiClientWriteScopeTests(AccountHost host) : IClassFixture<AccountHost>, IAsyncLifetime
{
    // The host's first-run setup works once: the accounts are made by the first test and kept for the others.
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static FormClient? prefecture;
    private static FormClient? municipality;

    public async Task InitializeAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (prefecture is null)
            {
                var (admin, _) = await Accounts.SetUpAdministratorAsync(host);
                using (admin)
                {
                    prefecture = await AcceptAsync(Accounts.LinkOf(await Accounts.InviteAsync(admin, "scope.pref13@metro.tokyo.lg.jp", "prefecture_administrator", "13")));
                }

                municipality = await AcceptAsync(Accounts.LinkOf(await Accounts.InviteAsync(prefecture, "scope.admin@city.chiyoda.lg.jp", "municipality_administrator", ApiHost.Chiyoda)));
            }
        }
        finally
        {
            Once.Release();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_prefecture_administrator_cannot_create_a_write_client_for_a_municipality_and_nothing_is_created()
    {
        var before = await CountAsync(prefecture!);
        using var refused = await CreateAsync(prefecture!, ApiHost.Chiyoda, "write");
        var problem = await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "scope");
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("forbidden_scope", error.GetProperty("code").GetString());
        Assert.Contains("write", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("read clients only", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync(prefecture!));
        await host.WithDbAsync(async db => Assert.Equal(0, await db.AdminLog.CountAsync(e => e.Action == "create_api_client" && e.ActorSubject == "scope.pref13@metro.tokyo.lg.jp" && e.TargetTenant == ApiHost.Chiyoda && e.After!.Contains(": write "))));

        // The page's form says it before it is sent, and refuses it as the API does.
        var (_, page) = await prefecture!.GetAsync("/admin/clients");
        Assert.Contains("data-hint=\"write-scope\"", page, StringComparison.Ordinal);
        var form = await prefecture.PostAsync("/admin/clients", "/admin/clients/new", new Dictionary<string, string>
        {
            ["name"] = "pref form write", ["tenant"] = ApiHost.Chiyoda, ["scope"] = "write", ["expiresAt"] = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd"),
        });
        // 422: the form again, the fault beside its field (scope), what was typed kept.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, form.Status);
        Assert.Equal(["forbidden_scope"], form.Faults["scope"]);
        Assert.Contains("value=\"pref form write\"", form.Html, StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync(prefecture));
    }

    [Fact]
    public async Task A_prefecture_administrator_creates_read_clients_for_its_municipalities_and_write_clients_for_its_own_prefecture()
    {
        using (var read = await CreateAsync(prefecture!, ApiHost.Chiyoda, "read"))
        {
            Assert.True(read.StatusCode == HttpStatusCode.Created, $"{read.StatusCode} {await read.Content.ReadAsStringAsync()}");
        }

        using var own = await CreateAsync(prefecture!, "13", "write");
        Assert.True(own.StatusCode == HttpStatusCode.Created, $"{own.StatusCode} {await own.Content.ReadAsStringAsync()}");
        var created = await ApiHost.Json(own);
        var token = await host.ClientTokenAsync(created.GetProperty("client").GetProperty("clientId").GetString()!, created.GetProperty("clientSecret").GetString()!, "write");
        Assert.False(string.IsNullOrEmpty(token));
    }

    [Fact]
    public async Task A_municipality_administrators_write_client_reports_for_its_municipality()
    {
        using var created = await CreateAsync(municipality!, ApiHost.Chiyoda, "write");
        var json = await ApiHost.Json(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{created.StatusCode} {json}");
        using var client = host.Client(await host.ClientTokenAsync(json.GetProperty("client").GetProperty("clientId").GetString()!, json.GetProperty("clientSecret").GetString()!, "write"));
        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using var put = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/SEC-1-01", """{"status":"implemented"}""", version));
        Assert.True(put.StatusCode == HttpStatusCode.OK, $"{put.StatusCode} {await put.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// A write client for a municipality whose creation the admin log records as a prefecture administrator's (made
    /// before the rule), or does not record at all, gets no write token: asking for write is refused (invalid_scope),
    /// asking for nothing gives a token that reads and is refused the write.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_write_client_whose_creator_could_not_give_write_reads_only(bool recordedAsPrefecture)
    {
        using var created = await CreateAsync(municipality!, ApiHost.Chiyoda, "write");
        var json = await ApiHost.Json(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{created.StatusCode} {json}");
        var clientId = json.GetProperty("client").GetProperty("clientId").GetString()!;
        var secret = json.GetProperty("clientSecret").GetString()!;

        // The state an older server left: the entry names the prefecture administrator, or is missing.
        await host.WithDbAsync(async db =>
        {
            var entry = await db.AdminLog.SingleAsync(e => e.Action == "create_api_client" && e.TargetSubject == clientId);
            if (recordedAsPrefecture)
            {
                entry.ActorSubject = "scope.pref13@metro.tokyo.lg.jp";
                entry.ActorRole = "prefecture_administrator";
                entry.ActorTenant = "13";
            }
            else
            {
                db.AdminLog.Remove(entry);
            }

            await db.SaveChangesAsync();
        });

        using (var refused = await host.ClientTokenResponseAsync(clientId, secret, "write"))
        {
            var error = await ApiHost.Json(refused);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{refused.StatusCode} {error}");
            Assert.Equal("invalid_scope", error.GetProperty("error").GetString());
        }

        using var reader = host.Client(await host.ClientTokenAsync(clientId, secret, null));
        using (var read = await reader.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using var put = await reader.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/SEC-1-02", """{"status":"implemented"}""", version));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
    }

    private async Task<FormClient> AcceptAsync(Uri link)
    {
        var client = new FormClient(host.BaseAddress);
        await Accounts.AcceptAsync(client, link);
        await client.EnrolAsync();
        return client;
    }

    private static Task<HttpResponseMessage> CreateAsync(FormClient actor, string tenant, string scope) =>
        actor.Http.PostAsJsonAsync("/api/v1/admin/clients", new { name = $"scope {scope} {tenant} {Guid.NewGuid():N}"[..40], tenant, scope });

    private static async Task<int> CountAsync(FormClient actor) =>
        (await actor.Http.GetFromJsonAsync<JsonElement>("/api/v1/admin/clients")).GetArrayLength();
}

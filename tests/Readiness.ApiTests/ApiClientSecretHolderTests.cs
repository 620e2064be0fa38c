using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Readiness.Web.Clients;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Who holds an API client's secret, and so in whose name the client's changes are recorded (breaker's findings, high
/// and medium): whoever created the client or last issued it a new secret. A prefecture administrator may not issue a
/// municipality's write client a new secret (it would then write for the municipality, in the creator's name): 403
/// forbidden_secret, the old secret still works; it may for a read client, and then holds it. Deactivating the holder
/// ends the client's tokens at once and the token endpoint refuses it (suspended) until another administrator issues a
/// new secret (then holding it) or the person is reactivated; a holder given a role that may not give write leaves the
/// client reading only. Real accounts (setup, invitations, second factor) on a real Kestrel host.
/// </summary>
public sealed class ApiClientSecretHolderTests(AccountHost host) : IClassFixture<AccountHost>, IAsyncLifetime
{
    private const string PrefectureEmail = "holder.pref13@metro.tokyo.lg.jp";
    private const string MunicipalityEmail = "holder.admin@city.chiyoda.lg.jp";
    private const string SecondEmail = "holder.second@city.chiyoda.lg.jp";

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static FormClient? system;
    private static FormClient? prefecture;
    private static FormClient? municipality;
    private static FormClient? second;

    public async Task InitializeAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (prefecture is null)
            {
                (system, _) = await Accounts.SetUpAdministratorAsync(host);
                prefecture = await AcceptAsync(Accounts.LinkOf(await Accounts.InviteAsync(system, PrefectureEmail, "prefecture_administrator", "13")));
                municipality = await AcceptAsync(Accounts.LinkOf(await Accounts.InviteAsync(prefecture, MunicipalityEmail, "municipality_administrator", ApiHost.Chiyoda)));
                second = await AcceptAsync(Accounts.LinkOf(await Accounts.InviteAsync(prefecture, SecondEmail, "municipality_administrator", ApiHost.Chiyoda)));
            }
        }
        finally
        {
            Once.Release();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_prefecture_administrator_cannot_take_a_municipalitys_write_secret_and_the_old_one_keeps_working()
    {
        var (clientId, secret) = await CreateAsync(municipality!, ApiHost.Chiyoda, "write");

        using (var refused = await prefecture!.Http.PostAsync($"/api/v1/admin/clients/{clientId}/secret", null))
        {
            var problem = await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "clientId");
            var error = problem.GetProperty("errors")[0];
            Assert.Equal("forbidden_secret", error.GetProperty("code").GetString());
            Assert.Contains("失効", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains("revoke", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }

        var form = await prefecture.PostAsync("/admin/clients", $"/admin/clients/{clientId}/secret", new Dictionary<string, string>());
        Assert.Equal("forbidden_secret", form.Error);
        Assert.DoesNotContain("data-client-secret", form.Html, StringComparison.Ordinal);

        // Nothing changed: the old secret gets a write token, the client is still held by its creator, nothing logged.
        Assert.False(string.IsNullOrEmpty(await host.ClientTokenAsync(clientId, secret, "write")));
        var view = await prefecture.Http.GetFromJsonAsync<JsonElement>($"/api/v1/admin/clients/{clientId}");
        Assert.Equal(MunicipalityEmail, view.GetProperty("secretHolder").GetString());
        await host.WithDbAsync(async db => Assert.Equal(0, await db.AdminLog.CountAsync(e => e.Action == "rotate_api_client_secret" && e.TargetSubject == clientId)));

        // Its page offers no new secret for that client, and still offers to revoke it.
        var (_, page) = await prefecture.GetAsync("/admin/clients");
        var row = RowOf(page, clientId);
        Assert.DoesNotContain($"/admin/clients/{clientId}/secret", row, StringComparison.Ordinal);
        Assert.Contains($"/admin/clients/{clientId}/revoke", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whoever_issues_a_new_secret_holds_it_and_the_clients_changes_are_recorded_in_that_name()
    {
        // A prefecture administrator may renew a municipality's read client: then it holds that secret.
        var (readId, _) = await CreateAsync(municipality!, ApiHost.Chiyoda, "read");
        using (var rotated = await prefecture!.Http.PostAsync($"/api/v1/admin/clients/{readId}/secret", null))
        {
            var json = await ApiHost.Json(rotated);
            Assert.True(rotated.StatusCode == HttpStatusCode.OK, $"{rotated.StatusCode} {json}");
            Assert.Equal(PrefectureEmail, json.GetProperty("client").GetProperty("secretHolder").GetString());
        }

        // The municipality's other administrator renews the write client: the next change is in that person's name.
        var (writeId, _) = await CreateAsync(municipality!, ApiHost.Chiyoda, "write");
        using var renewed = await second!.Http.PostAsync($"/api/v1/admin/clients/{writeId}/secret", null);
        var renewal = await ApiHost.Json(renewed);
        Assert.True(renewed.StatusCode == HttpStatusCode.OK, $"{renewed.StatusCode} {renewal}");
        var newSecret = renewal.GetProperty("clientSecret").GetString()!;
        using var client = host.Client(await host.ClientTokenAsync(writeId, newSecret, "write"));
        var subject = await WriteAsync(client, "SEC-2-01");
        Assert.Contains(writeId, subject, StringComparison.Ordinal);
        Assert.Contains(SecondEmail, subject, StringComparison.Ordinal);
        Assert.DoesNotContain(MunicipalityEmail, subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deactivating_the_holder_stops_the_client_at_once_until_a_new_secret_or_reactivation()
    {
        var leaver = await AcceptAsync(Accounts.LinkOf(await Accounts.InviteAsync(prefecture!, "holder.leaver@city.chiyoda.lg.jp", "municipality_administrator", ApiHost.Chiyoda)));
        var (clientId, secret) = await CreateAsync(leaver, ApiHost.Chiyoda, "write");
        using var client = host.Client(await host.ClientTokenAsync(clientId, secret, "write"));
        Assert.Contains("holder.leaver@", await WriteAsync(client, "SEC-2-02"), StringComparison.Ordinal);

        var id = await host.UserIdAsync("holder.leaver@city.chiyoda.lg.jp");
        Assert.Equal("/admin/users?done=active", (await prefecture!.PostAsync("/admin/users", $"/admin/users/{id}/active", new Dictionary<string, string> { ["active"] = "false" })).Location);

        // The token issued before stops at once; the secret gets no new one, saying why.
        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using (var put = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/SEC-2-03", """{"status":"implemented"}""", version)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        }

        using (var refused = await host.ClientTokenResponseAsync(clientId, secret, "write"))
        {
            var error = await ApiHost.Json(refused);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{refused.StatusCode} {error}"); // invalid_client: 401 (RFC 6749 §5.2)
            Assert.Equal("invalid_client", error.GetProperty("error").GetString());
            Assert.Contains("deactivated", error.GetProperty("error_description").GetString(), StringComparison.Ordinal);
            Assert.Contains("無効", error.GetProperty(TokenErrors.JapaneseMember).GetString(), StringComparison.Ordinal);
        }

        var listed = await municipality!.Http.GetFromJsonAsync<JsonElement>($"/api/v1/admin/clients/{clientId}");
        Assert.Equal("suspended", listed.GetProperty("status").GetString());
        await host.WithDbAsync(async db => Assert.Equal(1, await db.AdminLog.CountAsync(e => e.Action == "revoke_api_client_tokens" && e.TargetSubject == clientId && e.ActorSubject == PrefectureEmail)));
        var (_, page) = await municipality.GetAsync("/admin/clients");
        Assert.Contains("data-client-status=\"suspended\"", RowOf(page, clientId), StringComparison.Ordinal);

        // Reactivated, the person's client works again with the same secret.
        await prefecture.PostAsync("/admin/users", $"/admin/users/{id}/active", new Dictionary<string, string> { ["active"] = "true" });
        Assert.False(string.IsNullOrEmpty(await host.ClientTokenAsync(clientId, secret, "write")));

        // Deactivated again, the municipality's other administrator issues a new secret: the client works, in that name.
        await prefecture.PostAsync("/admin/users", $"/admin/users/{id}/active", new Dictionary<string, string> { ["active"] = "false" });
        using var renewed = await municipality.Http.PostAsync($"/api/v1/admin/clients/{clientId}/secret", null);
        var renewal = await ApiHost.Json(renewed);
        Assert.True(renewed.StatusCode == HttpStatusCode.OK, $"{renewed.StatusCode} {renewal}");
        Assert.Equal("active", renewal.GetProperty("client").GetProperty("status").GetString());
        using var resumed = host.Client(await host.ClientTokenAsync(clientId, renewal.GetProperty("clientSecret").GetString()!, "write"));
        Assert.Contains(MunicipalityEmail, await WriteAsync(resumed, "SEC-2-04"), StringComparison.Ordinal);
        leaver.Dispose();
    }

    [Fact]
    public async Task A_holder_given_a_role_that_may_not_give_write_leaves_the_client_reading_only()
    {
        var mover = await AcceptAsync(Accounts.LinkOf(await Accounts.InviteAsync(prefecture!, "holder.mover@city.chiyoda.lg.jp", "municipality_administrator", ApiHost.Chiyoda)));
        var (clientId, secret) = await CreateAsync(mover, ApiHost.Chiyoda, "write");
        using var client = host.Client(await host.ClientTokenAsync(clientId, secret, "write"));
        await WriteAsync(client, "SEC-3-01");

        var id = await host.UserIdAsync("holder.mover@city.chiyoda.lg.jp");
        var changed = await prefecture!.PostAsync("/admin/users", $"/admin/users/{id}/role", new Dictionary<string, string> { ["role"] = "prefecture_staff", ["tenant"] = "13" });
        Assert.Equal("/admin/users?done=role", changed.Location);

        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using (var put = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/SEC-3-02", """{"status":"implemented"}""", version)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        }

        using (var refused = await host.ClientTokenResponseAsync(clientId, secret, "write"))
        {
            Assert.Equal("invalid_scope", (await ApiHost.Json(refused)).GetProperty("error").GetString());
        }

        Assert.False(string.IsNullOrEmpty(await host.ClientTokenAsync(clientId, secret, null)));
        mover.Dispose();
    }

    [Fact]
    public async Task A_reset_link_for_a_person_with_a_second_factor_says_it_is_still_needed()
    {
        var id = await host.UserIdAsync(SecondEmail);
        var issued = await prefecture!.PostAsync("/admin/users", $"/admin/users/{id}/password-reset", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, issued.Status);
        Assert.Contains("data-second-factor=\"set\"", issued.Html, StringComparison.Ordinal);
    }

    private async Task<string> WriteAsync(HttpClient client, string item)
    {
        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using var put = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/{item}", """{"status":"implemented"}""", version));
        Assert.True(put.StatusCode == HttpStatusCode.OK, $"{put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        using var national = host.National();
        var history = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}/history")).RootElement;
        return history.GetProperty("items")[0].GetProperty("subject").GetString()!;
    }

    private static string RowOf(string html, string clientId)
    {
        var start = html.IndexOf($"data-client=\"{clientId}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row for {clientId}");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    private async Task<FormClient> AcceptAsync(Uri link)
    {
        var client = new FormClient(host.BaseAddress);
        await Accounts.AcceptAsync(client, link);
        await client.EnrolAsync();
        return client;
    }


    private static async Task<(string ClientId, string Secret)> CreateAsync(FormClient actor, string tenant, string scope)
    {
        using var created = await actor.Http.PostAsJsonAsync("/api/v1/admin/clients", new { name = $"holder {scope} {Guid.NewGuid():N}"[..30], tenant, scope });
        var json = await ApiHost.Json(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{created.StatusCode} {json}");
        return (json.GetProperty("client").GetProperty("clientId").GetString()!, json.GetProperty("clientSecret").GetString()!);
    }
}

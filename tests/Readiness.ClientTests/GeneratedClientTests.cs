using System.Net;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using Readiness.ClientTests.Generated;
using Readiness.ClientTests.Generated.Models;
using Models = Readiness.ClientTests.Generated.Models;
using Readiness.Hosting;

namespace Readiness.ClientTests;

/// <summary>
/// The integrator's main paths with the generated Kiota client against the real host over HTTP: the nation, a
/// prefecture, a municipality and its ETag, a PUT with If-Match, a stale write as a typed 412 problem, a report with
/// an Idempotency-Key and its replay, the audit trail. Headers are the ones the contract declares (If-Match,
/// Idempotency-Key in; ETag, X-Request-Id, Idempotent-Replayed out), read with Kiota's standard header inspection.
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class GeneratedClientTests(ContractHost host)
{
    private const string Chiyoda = "131016";
    private const string Tokyo = "13";

    [Fact]
    public async Task Reads_the_nation_a_prefecture_and_a_municipality_with_its_ETag()
    {
        var client = Client(host.Token(Role.National));

        var nationHeaders = Inspect();
        var nation = await client.Api.V1.Nation.GetAsync(c => c.Options.Add(nationHeaders));
        Assert.Equal(1741, nation!.Municipalities);
        Assert.Equal(47, nation.Prefectures!.Count);
        Assert.NotEmpty(Header(nationHeaders, "ETag"));

        var prefecture = await client.Api.V1.Prefectures[Tokyo].GetAsync();
        Assert.Equal(Tokyo, prefecture!.Prefecture!.Code);
        Assert.Equal(62, prefecture.Municipalities);
        Assert.Equal(62, prefecture.Items!.Count);

        var headers = Inspect();
        var municipality = await client.Api.V1.Municipalities[Chiyoda].GetAsync(c => c.Options.Add(headers));
        Assert.Equal(Chiyoda, municipality!.Code);
        Assert.Equal(20, municipality.Systems!.Count);
        Assert.Equal($"\"{municipality.Version}\"", Uncoded(Header(headers, "ETag")));
    }

    [Fact]
    public async Task Put_with_If_Match_writes_and_a_stale_If_Match_is_a_typed_412_problem()
    {
        var reader = Client(host.Token(Role.National));
        var writer = Client(host.Token(Role.Municipality, Chiyoda, "tanaka@city.chiyoda"));
        var read = Inspect();
        var before = await reader.Api.V1.Municipalities[Chiyoda].GetAsync(c => c.Options.Add(read));
        var etag = Header(read, "ETag");

        var written = Inspect();
        var after = await writer.Api.V1.Municipalities[Chiyoda].Systems["koseki"].PutAsync(
            new SystemReport { Phase = Models.MigrationPhase.In_production, Vendor = "株式会社サンプル", Hosting = Models.HostingKind.Government_cloud },
            c =>
            {
                c.Headers.Add("If-Match", etag);
                c.Options.Add(written);
            });
        Assert.Equal(before!.Version + 1, after!.Version);
        Assert.Equal(Models.MigrationPhase.In_production, after.Systems!.Single(s => s.BusinessId == "koseki").Phase);
        Assert.Equal($"\"{after.Version}\"", Uncoded(Header(written, "ETag")));
        Assert.StartsWith("req-", Header(written, "X-Request-Id"), StringComparison.Ordinal);

        var conflict = Inspect();
        var stale = await Assert.ThrowsAsync<ProblemDetails>(() => writer.Api.V1.Municipalities[Chiyoda].Systems["koseki"].PutAsync(
            new SystemReport { Phase = Models.MigrationPhase.Testing, RegressionReason = "再テスト / retest" },
            c =>
            {
                c.Headers.Add("If-Match", etag);
                c.Options.Add(conflict);
            }));
        Assert.Equal((int)HttpStatusCode.PreconditionFailed, stale.ResponseStatusCode);
        Assert.Equal(412, stale.Status);
        var error = Assert.Single(stale.Errors!);
        Assert.Equal("If-Match", error.Field);
        Assert.Equal("version_conflict", error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.MessageJa));
        Assert.Equal($"\"{after.Version}\"", Uncoded(Header(conflict, "ETag")));

        var unconditional = await Assert.ThrowsAsync<ProblemDetails>(() => writer.Api.V1.Municipalities[Chiyoda].Systems["koseki"].PutAsync(new SystemReport { Phase = Models.MigrationPhase.In_production }));
        Assert.Equal(428, unconditional.Status);
        Assert.Equal("If-Match", Assert.Single(unconditional.Errors!).Field);

        var unchanged = await reader.Api.V1.Municipalities[Chiyoda].GetAsync();
        Assert.Equal(after.Version, unchanged!.Version);
    }

    [Fact]
    public async Task Report_with_an_Idempotency_Key_applies_once_and_its_replay_says_so_and_the_history_shows_it()
    {
        const string Code = "131024"; // 中央区: its own versions, whatever the other tests write to 千代田区
        var writer = Client(host.Token(Role.Municipality, Code, "sato@city.chuo"));
        var key = Guid.NewGuid().ToString();
        var report = new MunicipalityReport
        {
            Security = [new SecurityReportItem { ItemId = "SEC-1-01", Status = Models.SecurityStatus.Implemented, LastReviewed = new Date(2025, 12, 1) }],
        };

        var read = Inspect();
        await writer.Api.V1.Municipalities[Code].GetAsync(c => c.Options.Add(read));
        var etag = Header(read, "ETag");

        // If-Match is required on a report as on a single change: without it 428, nothing applied.
        var withoutIfMatch = await Assert.ThrowsAsync<ProblemDetails>(() => writer.Api.V1.Municipalities[Code].Reports.PostAsync(report, c => c.Headers.Add("Idempotency-Key", key)));
        Assert.Equal(428, withoutIfMatch.Status);
        Assert.Equal("If-Match", Assert.Single(withoutIfMatch.Errors!).Field);

        var first = Inspect();
        var accepted = await writer.Api.V1.Municipalities[Code].Reports.PostAsync(report, c =>
        {
            c.Headers.Add("If-Match", etag);
            c.Headers.Add("Idempotency-Key", key);
            c.Options.Add(first);
        });
        Assert.Equal("accepted", accepted!.Status);
        Assert.Equal(key, accepted.RequestId);
        Assert.Equal(key, Header(first, "X-Request-Id"));
        Assert.False(first.ResponseHeaders.ContainsKey("Idempotent-Replayed"));

        var second = Inspect();
        var replayed = await writer.Api.V1.Municipalities[Code].Reports.PostAsync(report, c =>
        {
            c.Headers.Add("If-Match", etag); // stale by now: a replay is still recognised by its key
            c.Headers.Add("Idempotency-Key", key);
            c.Options.Add(second);
        });
        Assert.Equal("replayed", replayed!.Status);
        Assert.Equal(accepted.Version, replayed.Version);
        Assert.Equal(accepted.Version, replayed.Municipality!.Version);
        Assert.Equal("true", Header(second, "Idempotent-Replayed"));

        var withoutKey = await Assert.ThrowsAsync<ProblemDetails>(() => writer.Api.V1.Municipalities[Code].Reports.PostAsync(report, c => c.Headers.Add("If-Match", "*")));
        Assert.Equal(400, withoutKey.Status);
        Assert.Equal("Idempotency-Key", Assert.Single(withoutKey.Errors!).Field);

        var history = await writer.Api.V1.Municipalities[Code].History.GetAsync(c => c.QueryParameters.Limit = 10);
        var entry = Assert.Single(history!.Items!, e => e.RequestId == key);
        Assert.Equal("security:SEC-1-01", entry.Target);
        Assert.Equal("sato@city.chuo", entry.Subject);
        Assert.Equal(accepted.Version, entry.Version);
        Assert.Equal(accepted.Version, history.Version);
    }

    [Fact]
    public async Task Without_a_token_the_client_gets_a_typed_401_problem()
    {
        var anonymous = Client(token: null);

        var problem = await Assert.ThrowsAsync<ProblemDetails>(() => anonymous.Api.V1.Municipalities[Chiyoda].GetAsync());

        Assert.Equal(401, problem.Status);
        Assert.Equal("Authorization", Assert.Single(problem.Errors!).Field);
    }

    [Fact]
    public async Task Sends_the_bodies_of_a_webhook_registration_and_notification_preferences()
    {
        // The description declared neither body before (BodyContractTests): a generated client could not send them.
        var administrator = Client(host.Token(Role.Admin, subject: "client-admin"));
        var webhook = await administrator.Api.V1.Admin.Webhooks.PostAsync(new WebhookRequest { Url = "https://hooks.example/readiness", Tenant = Tokyo });
        Assert.StartsWith("wh_", webhook!.Id, StringComparison.Ordinal);
        Assert.Equal(Tokyo, webhook.Tenant);
        Assert.False(string.IsNullOrEmpty(webhook.Secret));

        var person = Client(host.Token(Role.Municipality, Chiyoda, "suzuki@city.chiyoda"));
        var preferences = await person.Api.V1.Notifications.Preferences.PutAsync(new PreferencesRequest
        {
            Items = [new PreferenceView { Kind = Models.NotificationKind.Regression, Mail = false, InApp = true, Frequency = Models.NotificationFrequency.Weekly }],
        });
        var regression = Assert.Single(preferences!.Items!, i => i.Kind == Models.NotificationKind.Regression);
        Assert.Equal(false, regression.Mail);
        Assert.Equal(Models.NotificationFrequency.Weekly, regression.Frequency);
    }

    private ReadinessClient Client(string? token)
    {
        IAuthenticationProvider auth = token is null ? new AnonymousAuthenticationProvider() : new BaseBearerTokenAuthenticationProvider(new StaticToken(token));
        var adapter = new HttpClientRequestAdapter(auth, httpClient: KiotaClientFactory.Create()) { BaseUrl = host.BaseUrl };
        return new ReadinessClient(adapter);
    }

    private static HeadersInspectionHandlerOption Inspect() => new() { InspectResponseHeaders = true };

    /// <summary>A tag without the coding a compressed answer adds ("12-gzip" → "12"): Kiota's client asks for gzip and brotli.</summary>
    private static string Uncoded(string tag) =>
        tag.EndsWith("-gzip\"", StringComparison.Ordinal) ? tag[..^6] + "\"" : tag.EndsWith("-br\"", StringComparison.Ordinal) ? tag[..^4] + "\"" : tag;

    private static string Header(HeadersInspectionHandlerOption option, string name) =>
        option.ResponseHeaders.TryGetValue(name, out var values) ? string.Join(",", values) : throw new Xunit.Sdk.XunitException($"No {name} header; got: {string.Join(", ", option.ResponseHeaders.Keys)}");

    /// <summary>A bearer token for every host (the test host is plain HTTP on loopback).</summary>
    private sealed class StaticToken(string token) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new();

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(token);
    }
}

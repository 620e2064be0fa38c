using System.Net;
using System.Text;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A warm host where a person may hold 2 event streams open, a tenant 3, anonymous readers (summaries are public here)
/// 4 from one address together, and each person reads 20 times a minute.
/// </summary>
public sealed class StreamLimitHost : WarmApiHost
{
    public const int PerCaller = 2;
    public const int PerTenant = 3;
    public const int PerAnonymousAddress = 4;
    public const int ReadsPerMinute = 20;

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:RateLimits:StreamsPerCaller"] = PerCaller.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Readiness:RateLimits:TenantStreams"] = PerTenant.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Readiness:RateLimits:AnonymousStreamsPerAddress"] = PerAnonymousAddress.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Readiness:RateLimits:ReadsPerMinute"] = ReadsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Readiness:Auth:AnonymousSummaries"] = "true";
        return settings;
    }
}

/// <summary>
/// /api/v1/stream holds a bounded number of open streams per caller and per tenant, and opening one is a read. Before,
/// one municipality token held 1,500 streams open (all 200), and the stream was not counted against the reads budget
/// (breaker's finding). Each test uses its own tenant, so that the limits do not mix.
/// </summary>
public sealed class StreamLimitTests(StreamLimitHost host) : IClassFixture<StreamLimitHost>
{
    private const string Path = "/api/v1/stream?topic=nation";

    [Fact]
    public async Task A_caller_past_the_cap_gets_429_with_retry_after_and_a_closed_stream_frees_its_slot()
    {
        using var tanaka = host.Client(host.Token(Role.Municipality, ApiHost.Chiyoda, "tanaka@city.chiyoda"));
        using var first = await OpenAsync(tanaka);
        using var second = await OpenAsync(tanaka);

        using (var third = await tanaka.GetAsync(Path, HttpCompletionOption.ResponseHeadersRead))
        {
            await AssertTooManyStreamsAsync(third);
        }

        // Closing a tab closes its connection; the server's stream ends and its slot is free again.
        first.Dispose();
        using var again = await OpenWhenFreeAsync(tanaka);

        // A colleague has their own slots under the tenant's ceiling (3): one more, then 429 for the municipality.
        using var suzuki = host.Client(host.Token(Role.Municipality, ApiHost.Chiyoda, "suzuki@city.chiyoda"));
        using var colleague = await OpenAsync(suzuki);
        using (var over = await suzuki.GetAsync(Path, HttpCompletionOption.ResponseHeadersRead))
        {
            await AssertTooManyStreamsAsync(over);
        }

        // Another municipality is not affected.
        using var neighbour = host.Client(host.Token(Role.Municipality, ApiHost.Chuo, "sato@city.chuo"));
        using var elsewhere = await OpenAsync(neighbour);
    }

    [Fact]
    public async Task Anonymous_readers_of_one_address_have_their_own_larger_cap_than_a_person()
    {
        // A person: their own cap (2).
        using var person = host.Client(host.Token(Role.Prefecture, "13", "viewer@pref.tokyo"));
        var held = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < StreamLimitHost.PerCaller; i++)
            {
                held.Add(await OpenAsync(person));
            }

            using (var over = await person.GetAsync(Path, HttpCompletionOption.ResponseHeadersRead))
            {
                await AssertTooManyStreamsAsync(over);
            }

            // Anonymous viewers behind one address (a prefecture's offices behind one LGWAN NAT address): past the
            // person's cap, up to the address's (4). Before, the address had the person's cap: the 3rd viewer got 429.
            using var anonymous = host.Client();
            for (var i = 0; i < StreamLimitHost.PerAnonymousAddress; i++)
            {
                held.Add(await OpenAsync(anonymous));
            }

            using var overAddress = await anonymous.GetAsync(Path, HttpCompletionOption.ResponseHeadersRead);
            await AssertTooManyStreamsAsync(overAddress);
        }
        finally
        {
            held.ForEach(response => response.Dispose());
        }
    }

    [Fact]
    public async Task Anonymous_readers_of_one_address_have_a_larger_read_budget_than_a_person()
    {
        // The same kind as the stream cap: one address is often many people (LGWAN NAT). Before, the address had one
        // person's 20 reads a minute; now 10 times that (AnonymousReadsPerMinute's default).
        using var anonymous = host.Client();
        for (var i = 0; i < StreamLimitHost.ReadsPerMinute + 10; i++)
        {
            using var read = await anonymous.GetAsync("/api/v1/catalog");
            Assert.True(read.StatusCode == HttpStatusCode.OK, $"anonymous read {i + 1}: {(int)read.StatusCode}");
        }

        // A person is still held to their own budget.
        using var person = host.Client(host.Token(Role.Prefecture, "14", "reader@pref.kanagawa"));
        for (var i = 0; i < StreamLimitHost.ReadsPerMinute; i++)
        {
            using var read = await person.GetAsync("/api/v1/catalog");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using var over = await person.GetAsync("/api/v1/catalog");
        Assert.Equal(HttpStatusCode.TooManyRequests, over.StatusCode);
    }

    [Fact]
    public async Task Opening_a_stream_is_a_read()
    {
        using var reader = host.Client(host.Token(Role.Prefecture, "27", "reader@pref.osaka"));
        for (var i = 0; i < StreamLimitHost.ReadsPerMinute; i++)
        {
            using var read = await reader.GetAsync("/api/v1/catalog");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using var response = await reader.GetAsync(Path, HttpCompletionOption.ResponseHeadersRead);
        AssertRefusedBeforeReading(response);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.TooManyRequests, "rate");
        Assert.Equal("rate_limited", problem.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
    }

    private static async Task AssertTooManyStreamsAsync(HttpResponseMessage response)
    {
        AssertRefusedBeforeReading(response);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.TooManyRequests, "rate");
        Assert.Equal("too_many_streams", problem.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter?.Delta);
    }

    /// <summary>An open stream's body never ends: its status is checked before the body is read.</summary>
    private static void AssertRefusedBeforeReading(HttpResponseMessage response) =>
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"expected 429, got {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}");

    /// <summary>Opens a stream and reads its first event, so it is counted as open on the server.</summary>
    private static async Task<HttpResponseMessage> OpenAsync(HttpClient client) =>
        await FirstEventAsync(await client.GetAsync(Path, HttpCompletionOption.ResponseHeadersRead));

    private static async Task<HttpResponseMessage> FirstEventAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Only a refusal's body has an end.
            Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStreamAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        while (!text.ToString().Contains("data:", StringComparison.Ordinal))
        {
            var read = await body.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the stream ended before its first event");
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return response;
    }

    /// <summary>The server notices a closed connection a moment later: a few tries, each refused with too_many_streams until then.</summary>
    private static async Task<HttpResponseMessage> OpenWhenFreeAsync(HttpClient client)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var response = await client.GetAsync(Path, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                return await FirstEventAsync(response);
            }

            await AssertTooManyStreamsAsync(response);
            response.Dispose();
            await Task.Delay(500);
        }

        Assert.Fail("the closed stream's slot was not freed within 5 s");
        return null!;
    }
}

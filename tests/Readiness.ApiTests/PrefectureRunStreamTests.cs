using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A change only to a system a prefecture runs itself (PUT /api/v1/prefectures/{prefCode}/systems/{businessId}) reaches
/// the live pages as every other change does: an event on /api/v1/stream for the prefecture's topic and the nation's,
/// with a new version, so the prefecture page, the changes pages and their 「新しい変更があります」 notice see it (a
/// breaker's finding, round 44).
/// </summary>
public sealed class PrefectureRunStreamTests(WarmApiHost host) : IClassFixture<WarmApiHost>
{
    [Theory]
    [InlineData("prefecture:27")]
    [InlineData("nation")]
    public async Task A_change_to_a_prefectures_own_system_is_an_event_with_a_new_version(string topic)
    {
        using var reader = host.Client(host.Token(Readiness.Role.National));
        reader.Timeout = Timeout.InfiniteTimeSpan;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var stream = await reader.GetAsync(new Uri($"/api/v1/stream?topic={Uri.EscapeDataString(topic)}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var lines = new StreamReader(await stream.Content.ReadAsStreamAsync(cancel.Token), Encoding.UTF8);

        async Task<long> NextVersion()
        {
            while (await lines.ReadLineAsync(cancel.Token) is { } line)
            {
                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    using var data = JsonDocument.Parse(line["data:".Length..]);
                    return data.RootElement.GetProperty("version").GetInt64();
                }
            }

            throw new InvalidOperationException("the stream ended");
        }

        var first = await NextVersion();

        // 大阪府 changes one of its own systems, nothing else.
        using var osaka = host.Client(host.Token(Readiness.Role.Prefecture, "27", "pref-27"));
        const string path = "/api/v1/prefectures/27/systems/child_rearing_allowance";
        using var get = await osaka.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var vendor = $"府ベンダ {Guid.NewGuid():N}";
        using var put = ApiHost.Request(HttpMethod.Put, path, $$"""{"phase":"fit_gap","vendor":"{{vendor}}"}""", long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture));
        using var answer = await osaka.SendAsync(put, cancel.Token);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync(cancel.Token)}");

        // An event follows, with a version the page has not seen (the notice reads the feed again only then).
        long next;
        do
        {
            next = await NextVersion();
        }
        while (next == first);
        Assert.True(next > first, $"{topic}: version {next} after {first}");
    }
}

using System.Net;
using Npgsql;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.ClusterTests;

/// <summary>Several web nodes behind one address, as the Kubernetes manifests run them (2–10 replicas, no affinity).</summary>
[Collection(PostgresCollection.Name)]
public sealed class WebNodesTests(PostgresServer postgres, ITestOutputHelper output)
{
    /// <summary>
    /// A sign-in cookie one web node issued is taken by another, and by a node started afresh on another machine: the
    /// data protection key ring is in the cluster's database. Each node here has a home folder of its own, as a
    /// container has; before, each kept its own ring there, and the second node answered the first's cookie with 401.
    /// </summary>
    [Fact]
    public async Task A_sign_in_cookie_from_one_web_node_is_taken_by_the_others()
    {
        var db = await postgres.CreateDatabaseAsync("webnodes");
        using var home1 = new TempFolder("readiness-web1-home");
        using var home2 = new TempFolder("readiness-web2-home");
        using var home3 = new TempFolder("readiness-web3-home");
        await using var cluster = new LocalCluster(db, "webnodes");
        var ports = SiloPorts.Free();
        var silo = cluster.StartSilo(ports, warmUp: false);
        await LocalCluster.WaitForStatusAsync(new Uri($"http://127.0.0.1:{ports.Http}/health/live"), HttpStatusCode.OK, TimeSpan.FromMinutes(2), silo);

        Dictionary<string, string> Node(TempFolder home) => new()
        {
            ["HOME"] = home.Path,
            ["Readiness__DataPath"] = home.Path,
            ["Readiness__Auth__LocalSignIn"] = "true",
        };

        var web1 = cluster.StartWeb(PostgresServer.FreePort(), Node(home1));
        await using var web2 = NodeProcess.Start("web2", Binaries.Web, PostgresServer.FreePort(), cluster.Environment(Node(home2)));
        await LocalCluster.WaitForStatusAsync(new Uri(web1.BaseAddress, "/health/ready"), HttpStatusCode.OK, TimeSpan.FromMinutes(4), web1, silo);
        await LocalCluster.WaitForStatusAsync(new Uri(web2.BaseAddress, "/health/ready"), HttpStatusCode.OK, TimeSpan.FromMinutes(4), web2, silo);

        // Signed in on the first node with a token pasted into the sign-in form: the answer sets the sign-in cookie.
        using var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        using var signIn = await http.PostAsync(new Uri(web1.BaseAddress, "/auth/local/signin"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = LocalCluster.Token(Role.National, null),
            ["returnUrl"] = "/",
        }));
        var cookie = signIn.Headers.TryGetValues("Set-Cookie", out var set) ? set.Select(c => c.Split(';')[0]).FirstOrDefault(c => c.StartsWith("readiness.auth=", StringComparison.Ordinal)) : null;
        Assert.True(cookie is not null, $"sign-in on web1: {(int)signIn.StatusCode} {await signIn.Content.ReadAsStringAsync()}");

        async Task<HttpStatusCode> ReadWithCookie(Uri node)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/api/v1/municipalities/131016"));
            request.Headers.Add("Cookie", cookie);
            using var response = await http.SendAsync(request);
            output.WriteLine($"{node}: {(int)response.StatusCode}");
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await ReadWithCookie(web1.BaseAddress));
        Assert.Equal(HttpStatusCode.OK, await ReadWithCookie(web2.BaseAddress));

        // A third node started afresh (a new pod) takes it too, and the ring is one set of keys in the database.
        await using var web3 = NodeProcess.Start("web3", Binaries.Web, PostgresServer.FreePort(), cluster.Environment(Node(home3)));
        await LocalCluster.WaitForStatusAsync(new Uri(web3.BaseAddress, "/health/ready"), HttpStatusCode.OK, TimeSpan.FromMinutes(4), web3, silo);
        Assert.Equal(HttpStatusCode.OK, await ReadWithCookie(web3.BaseAddress));
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM readiness_data_protection_keys", connection);
        var keys = Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"{keys} data protection key(s) in the database");
        Assert.InRange(keys, 1, 3); // one per node at most if they all started at once; usually one
        Assert.Empty(Directory.EnumerateFileSystemEntries(home1.Path, "DataProtection-Keys", SearchOption.AllDirectories));
    }
}

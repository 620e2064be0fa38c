using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;
using Readiness.Hosting;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The area CSV export (/api/v1/prefectures/{prefCode}/changes.csv and the dashboard's download of it) streams the
/// whole trail, so its ETag covers the whole trail: it changes exactly when the file's bytes do. A breaker's finding,
/// round 43: the tag hashed the newest 1,000 rows only, so a row below them that went away (or was committed late with
/// an older position) kept the tag while the file changed, and a poller's 304 kept the old file.
/// </summary>
public sealed class AreaCsvWholeFileETagTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Naha = "472018"; // 那覇市: nothing else in this class's host writes 沖縄県

    /// <summary>Failed before: the file lost its oldest row and its old tag still answered 304.</summary>
    [Theory]
    [InlineData("/api/v1/prefectures/47/changes.csv")]
    [InlineData("/prefectures/47/changes.csv")]
    public async Task The_tag_changes_when_a_row_below_the_newest_thousand_does(string path)
    {
        var database = Path.Combine(host.DataPath, SqliteSchema.DatabaseFileName);
        await using (var connection = new SqliteConnection($"Data Source={database}"))
        {
            await connection.OpenAsync();
            await using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM readiness_audit WHERE municipality_code = @m AND request_id LIKE 'csv-tag-%'";
            count.Parameters.AddWithValue("@m", Naha);
            if ((long)(await count.ExecuteScalarAsync())! == 0)
            {
                // 1,100 changes of the city's vendor, recorded as the grain records them, so the file holds more than 1,000 rows.
                await using var transaction = connection.BeginTransaction();
                for (var v = 1_000_001; v <= 1_001_100; v++)
                {
                    await using var insert = connection.CreateCommand();
                    insert.Transaction = transaction;
                    insert.CommandText = "INSERT INTO readiness_audit (municipality_code, version, target, at_utc, actor_subject, actor_role, request_id, before_value, after_value) VALUES (@m, @v, 'system:koseki', @at, 'csv-tag@city.naha', 'municipality', @r, NULL, @after)";
                    insert.Parameters.AddWithValue("@m", Naha);
                    insert.Parameters.AddWithValue("@v", v);
                    insert.Parameters.AddWithValue("@at", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(v - 1_000_000).ToString("O", CultureInfo.InvariantCulture));
                    insert.Parameters.AddWithValue("@r", $"csv-tag-{v}");
                    insert.Parameters.AddWithValue("@after", $"vendor {v}");
                    await insert.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            }
        }

        var token = host.Token(Readiness.Role.National);
        using var client = path.StartsWith("/api/", StringComparison.Ordinal) ? host.Client(token) : await host.SignedInPagesAsync(token);
        using var before = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var tag = before.Headers.ETag!.Tag;
        var file = await before.Content.ReadAsStringAsync();
        Assert.True(file.Split("\r\n").Length > 1_001, "the file holds more than 1,000 rows");

        // The oldest of them goes (the newest 1,000 rows stay as they were).
        await using (var connection = new SqliteConnection($"Data Source={database}"))
        {
            await connection.OpenAsync();
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM readiness_audit WHERE rowid = (SELECT MIN(rowid) FROM readiness_audit WHERE municipality_code = @m AND request_id LIKE 'csv-tag-%')";
            delete.Parameters.AddWithValue("@m", Naha);
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", tag);
        using var after = await client.SendAsync(request);
        Assert.True(after.StatusCode == HttpStatusCode.OK, $"the file changed, {(int)after.StatusCode} for its old tag {tag}");
        Assert.NotEqual(tag, after.Headers.ETag!.Tag);
        Assert.NotEqual(file, await after.Content.ReadAsStringAsync());

        // And it stays while nothing changes: the new tag revalidates.
        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.TryAddWithoutValidation("If-None-Match", after.Headers.ETag.Tag);
        using var notModified = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    /// <summary>
    /// Round 44, a breaker's finding: the tag summed every row of the area whatever the view, so under
    /// <c>?confirmed=exclude</c> a confirmation arriving (a row the file does not show) changed it, and under
    /// <c>?confirmed=only</c> a real change did. Now a row the view leaves out keeps the tag (304) and one it shows
    /// changes it. Failed before: 200 for the old tag after the row the view leaves out.
    /// </summary>
    [Theory]
    [InlineData("exclude", "/api/v1/prefectures/46/changes.csv")]
    [InlineData("only", "/api/v1/prefectures/46/changes.csv")]
    [InlineData("exclude", "/prefectures/46/changes.csv")]
    [InlineData("only", "/prefectures/46/changes.csv")]
    public async Task A_row_the_view_leaves_out_keeps_the_tag_and_one_it_shows_changes_it(string view, string path)
    {
        // 鹿児島市: nothing else in this class's host writes 鹿児島県; each case its own request ids.
        const string Kagoshima = "462012";
        var database = Path.Combine(host.DataPath, SqliteSchema.DatabaseFileName);
        var run = Guid.NewGuid().ToString("N")[..8];
        var version = 2_000_000L + (Random.Shared.Next(0, 1_000_000) * 4L);

        async Task Record(bool confirmation)
        {
            await using var connection = new SqliteConnection($"Data Source={database}");
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO readiness_audit (municipality_code, version, target, at_utc, actor_subject, actor_role, request_id, before_value, after_value) VALUES (@m, @v, 'system:koseki', @at, 'view-tag@city.kagoshima', 'municipality', @r, @before, @after)";
            insert.Parameters.AddWithValue("@m", Kagoshima);
            insert.Parameters.AddWithValue("@v", ++version);
            insert.Parameters.AddWithValue("@at", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("@r", $"view-tag-{run}-{version}");
            insert.Parameters.AddWithValue("@before", confirmation ? "vendor a" : "vendor a");
            insert.Parameters.AddWithValue("@after", confirmation ? "vendor a" : $"vendor {version}");
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        // One row of each kind first, so the file is not empty in either view.
        await Record(confirmation: true);
        await Record(confirmation: false);
        var url = $"{path}?confirmed={view}";
        var token = host.Token(Readiness.Role.National);
        using var client = path.StartsWith("/api/", StringComparison.Ordinal) ? host.Client(token) : await host.SignedInPagesAsync(token);

        async Task<HttpResponseMessage> Get(string? tag)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (tag is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", tag);
            }

            return await client.SendAsync(request);
        }

        using var first = await Get(null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var tag = first.Headers.ETag!.Tag;
        var file = await first.Content.ReadAsStringAsync();

        // A row this view does not show: the file is the same, so its tag still answers 304.
        await Record(confirmation: view == "exclude");
        using var unseen = await Get(tag);
        Assert.True(unseen.StatusCode == HttpStatusCode.NotModified, $"a row ?confirmed={view} leaves out changed the tag: {(int)unseen.StatusCode}");
        using var whole = await Get(null);
        Assert.Equal(tag, whole.Headers.ETag!.Tag);
        Assert.Equal(file, await whole.Content.ReadAsStringAsync());

        // A row it shows: a new file and a new tag.
        await Record(confirmation: view == "only");
        using var seen = await Get(tag);
        Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
        Assert.NotEqual(tag, seen.Headers.ETag!.Tag);
        Assert.NotEqual(file, await seen.Content.ReadAsStringAsync());
    }
}

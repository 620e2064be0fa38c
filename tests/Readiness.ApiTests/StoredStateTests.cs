using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The municipality's stored state is exactly its JSON, as text: it is written from a pooled array longer than the JSON
/// (only its first bytes are taken), and a shorter state written after a longer one leaves nothing of the longer behind.
/// </summary>
public sealed class StoredStateTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task A_shorter_state_after_a_longer_one_is_stored_whole_and_alone()
    {
        using var client = host.Municipality(ApiHost.Chuo);
        var vendors = new[] { new string('長', 100), "短", "株式会社 \"引用\" \\ 😀", "" };
        foreach (var vendor in vendors)
        {
            await host.PutSystem(client, ApiHost.Chuo, "koseki", JsonSerializer.Serialize(new { phase = "testing", designated = false, vendor }));

            var (json, type, bytes) = await StoredAsync($"municipality/{ApiHost.Chuo}");
            Assert.Equal("text", type);
            Assert.Equal(Encoding.UTF8.GetByteCount(json), bytes); // no bytes past the JSON (a pooled array's rest)
            using var state = JsonDocument.Parse(json); // trailing bytes would fail here
            var koseki = state.RootElement.GetProperty("Record").GetProperty("Systems").EnumerateArray().Single(s => s.GetProperty("BusinessId").GetString() == "koseki");
            Assert.Equal(vendor == "" ? null : vendor, koseki.TryGetProperty("Vendor", out var stored) ? stored.GetString() : null);
        }
    }

    private async Task<(string Json, string Type, long Bytes)> StoredAsync(string grainId)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(host.DataPath, "readiness.db")};Mode=ReadOnly");
        await db.OpenAsync();
        await using var read = db.CreateCommand();
        read.CommandText = "SELECT payload, typeof(payload), length(CAST(payload AS BLOB)) FROM readiness_grain_state WHERE grain_id = $grain AND state_name = 'municipality'";
        read.Parameters.AddWithValue("$grain", grainId);
        await using var row = await read.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync(), $"no stored state for {grainId}");
        return (row.GetString(0), row.GetString(1), row.GetInt64(2));
    }
}

using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The municipality's stored state is exactly its JSON, compressed (a zlib BLOB, <see cref="Readiness.Hosting.StatePayload"/>):
/// it is written from a pooled array longer than the compressed bytes (only its first bytes are taken; anything past
/// the zlib stream's checksum would fail the read), and a shorter state written after a longer one leaves nothing of the
/// longer behind.
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

            var (bytes, type) = await StoredAsync($"municipality/{ApiHost.Chuo}");
            Assert.Equal("blob", type);
            var json = Readiness.Hosting.StatePayload.ReadJson(bytes)!.ToString(); // no bytes past the stream's checksum (a pooled array's rest)
            Assert.True(bytes.Length < Encoding.UTF8.GetByteCount(json) / 3, $"{bytes.Length:N0} bytes stored for {json.Length:N0} characters of JSON");
            using var state = JsonDocument.Parse(json); // trailing bytes would fail here
            var koseki = state.RootElement.GetProperty("Record").GetProperty("Systems").EnumerateArray().Single(s => s.GetProperty("BusinessId").GetString() == "koseki");
            Assert.Equal(vendor == "" ? null : vendor, koseki.TryGetProperty("Vendor", out var stored) ? stored.GetString() : null);
        }
    }

    private async Task<(byte[] Stored, string Type)> StoredAsync(string grainId)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(host.DataPath, "readiness.db")};Mode=ReadOnly");
        await db.OpenAsync();
        await using var read = db.CreateCommand();
        read.CommandText = "SELECT CAST(payload AS BLOB), typeof(payload) FROM readiness_grain_state WHERE grain_id = $grain AND state_name = 'municipality'";
        read.Parameters.AddWithValue("$grain", grainId);
        await using var row = await read.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync(), $"no stored state for {grainId}");
        return ((byte[])row.GetValue(0), row.GetString(1));
    }
}

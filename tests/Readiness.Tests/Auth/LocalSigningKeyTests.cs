using Readiness.Hosting;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.Tests.Auth;

/// <summary>
/// The local signing key file made on first start: whoever reads it while another thread or process is making it
/// gets the whole key (CI once read it half-written: "must have at least 32 bytes"), and all of them the same key.
/// </summary>
public sealed class LocalSigningKeyTests
{
    [Fact]
    public async Task Many_first_readers_at_once_all_get_the_same_whole_key()
    {
        for (var round = 0; round < 20; round++)
        {
            var folder = Directory.CreateTempSubdirectory("readiness-key-").FullName;
            try
            {
                var options = new ReadinessOptions { DataPath = folder };
                var path = Path.Combine(folder, "auth", LocalSigningKey.FileName);
                using var start = new ManualResetEventSlim();
                using var done = new CancellationTokenSource();

                // A reader that does not go through Resolve: whatever it sees at the key's path must already be whole.
                var seen = new List<string>();
                var watcher = Task.Run(() =>
                {
                    start.Wait();
                    while (!done.IsCancellationRequested)
                    {
                        if (File.Exists(path))
                        {
                            seen.Add(File.ReadAllText(path));
                            return;
                        }
                    }
                });
                var readers = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
                {
                    start.Wait();
                    return Convert.ToBase64String(LocalSigningKey.Resolve(new ReadinessAuthOptions(), options).Key);
                })).ToArray();
                start.Set();
                var keys = await Task.WhenAll(readers);
                await done.CancelAsync();
                await watcher;
                Assert.All(seen, text => Assert.Equal(keys[0], text.Trim()));
                Assert.Single(keys.Distinct());
                Assert.Equal(32, Convert.FromBase64String(keys[0]).Length);
                Assert.Equal(["local-signing.key"], Directory.GetFiles(Path.Combine(folder, "auth")).Select(Path.GetFileName));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}

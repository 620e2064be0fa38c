using Readiness.Hosting;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.Tests.Auth;

/// <summary>
/// The local signing key file made on first start: whoever reads it while another thread or process is making it
/// gets the whole key (CI once read it half-written: "must have at least 32 bytes"), and all of them the same key: the
/// one that stays in the file (CI once had a writer's token refused with 401: two threads had each moved their own key
/// into place, since File.Move without overwrite is a check and then a rename on Linux).
/// </summary>
public sealed class LocalSigningKeyTests
{
    [Fact]
    public async Task Many_first_readers_at_once_all_get_the_same_whole_key()
    {
        for (var round = 0; round < 50; round++)
        {
            var folder = Directory.CreateTempSubdirectory("readiness-key-").FullName;
            try
            {
                var options = new ReadinessOptions { DataPath = folder };
                var path = Path.Combine(folder, "auth", LocalSigningKey.FileName);
                using var start = new ManualResetEventSlim();
                using var done = new CancellationTokenSource();

                // A reader that does not go through Resolve reads the key's path all the while: whatever it sees must
                // already be whole, and only ever the one key (a second key moved over the first is what CI's 401 was).
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var watcher = Task.Factory.StartNew(() =>
                {
                    start.Wait();
                    while (!done.IsCancellationRequested)
                    {
                        try
                        {
                            seen.Add(File.ReadAllText(path));
                        }
                        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                        {
                        }
                    }
                }, TaskCreationOptions.LongRunning);
                var readers = Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() =>
                {
                    start.Wait();
                    return Convert.ToBase64String(LocalSigningKey.Resolve(new ReadinessAuthOptions(), options).Key);
                }, TaskCreationOptions.LongRunning)).ToArray();
                start.Set();
                var keys = await Task.WhenAll(readers);
                await done.CancelAsync();
                await watcher;
                Assert.All(seen, text => Assert.Equal(keys[0], text.Trim()));
                Assert.Single(keys.Distinct());
                Assert.Equal(keys[0], File.ReadAllText(path).Trim());
                Assert.Equal(32, Convert.FromBase64String(keys[0]).Length);
                Assert.Equal(["local-signing.key", "local-signing.key.lock"], Directory.GetFiles(Path.Combine(folder, "auth")).Select(Path.GetFileName).Order()); // no temporary file left
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>
    /// Another process making the key (the server, while an operator runs the <c>token</c> command) holds the lock:
    /// Resolve waits for its key instead of moving a key of its own over it. Before the lock, it made a second key at
    /// once, and whichever was read first signed tokens the other refused.
    /// </summary>
    [Fact]
    public async Task A_reader_waits_for_the_key_another_process_is_making_and_gets_that_key()
    {
        var folder = Directory.CreateTempSubdirectory("readiness-key-").FullName;
        try
        {
            var auth = Path.Combine(folder, "auth");
            Directory.CreateDirectory(auth);
            var path = Path.Combine(auth, LocalSigningKey.FileName);
            var theirs = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            Task<string> reader;
            using (new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            {
                reader = Task.Factory.StartNew(
                    () => Convert.ToBase64String(LocalSigningKey.Resolve(new ReadinessAuthOptions(), new ReadinessOptions { DataPath = folder }).Key),
                    TaskCreationOptions.LongRunning);
                await Task.Delay(300);
                Assert.False(reader.IsCompleted, "Resolve made a key of its own while another process held the lock");
                Assert.False(File.Exists(path));
                await File.WriteAllTextAsync(path, theirs);
            }

            Assert.Equal(theirs, await reader.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(theirs, (await File.ReadAllTextAsync(path)).Trim());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

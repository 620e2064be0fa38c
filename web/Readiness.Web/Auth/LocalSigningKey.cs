using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Readiness.Hosting;

namespace Readiness.Web.Auth;

/// <summary>
/// The HMAC key that signs local tokens: from configuration (Readiness:Auth:SigningKey) or generated once into
/// {data folder}/auth/local-signing.key, readable by the owner only. Never part of the repository.
/// </summary>
public static class LocalSigningKey
{
    public const string FileName = "local-signing.key";

    public static SymmetricSecurityKey Resolve(ReadinessAuthOptions auth, ReadinessOptions readiness) => Resolve(auth, readiness, out _, out _);

    /// <summary>
    /// As <see cref="Resolve(ReadinessAuthOptions, ReadinessOptions)"/>; <paramref name="path"/> is the key file (null when
    /// the key is configured) and <paramref name="created"/> true when this call made it (no key was there before).
    /// </summary>
    public static SymmetricSecurityKey Resolve(ReadinessAuthOptions auth, ReadinessOptions readiness, out string? path, out bool created)
    {
        created = false;
        path = null;
        if (!string.IsNullOrWhiteSpace(auth.SigningKey))
        {
            return FromBase64(auth.SigningKey, "Readiness:Auth:SigningKey");
        }

        var folder = Path.Combine(readiness.ResolveDataPath(), "auth");
        OwnerOnly.CreateFolder(readiness.ResolveDataPath());
        OwnerOnly.OwnFolder(folder);
        path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            created = Create(path);
        }

        return FromBase64(File.ReadAllText(path).Trim(), path);
    }

    /// <summary>
    /// Makes the key file once, under an exclusive lock on {key}.lock: <c>File.Move(..., overwrite: false)</c> alone is an
    /// existence check and then a rename on Linux, so two starting together (the server's token validation and its API
    /// clients, or the server and the <c>token</c> command) could each put its own key in place and keep using it: a token
    /// signed with the first was refused (401) by a reader of the second (CI, OperationsTests, stop 41).
    /// </summary>
    private static bool Create(string path)
    {
        using var held = Exclusive(path + ".lock");
        if (File.Exists(path))
        {
            return false; // made by whoever held the lock before
        }

        // Written whole to a temporary file and then moved into place: a reader that does not take the lock never sees
        // the key half-written.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, OwnerOnly.Create(FileMode.CreateNew, FileAccess.Write)))
            {
                stream.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: false);
            return true;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// The lock file opened with <see cref="FileShare.None"/> (an <c>flock</c> on Unix, between processes and between
    /// threads of one), waited for up to 30 s.
    /// </summary>
    private static FileStream Exclusive(string path)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, OwnerOnly.Create(FileMode.OpenOrCreate, FileAccess.ReadWrite));
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(5);
            }
        }
    }

    private static SymmetricSecurityKey FromBase64(string text, string source) =>
        Problem(text, source) is { } problem
            ? throw new InvalidOperationException(problem)
            : new SymmetricSecurityKey(Convert.FromBase64String(text)) { KeyId = "readiness-local" };

    /// <summary>
    /// Why <paramref name="text"/> cannot be the signing key (not base64, or fewer than 32 bytes = 256 bits), naming
    /// <paramref name="source"/> (the setting or the key file), in Japanese and English; null when it can.
    /// </summary>
    public static string? Problem(string text, string source)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return $"{source}: ローカル署名鍵が base64 ではありません / the local signing key is not base64.";
        }

        return bytes.Length < 32
            ? $"{source}: ローカル署名鍵は 32 バイト（256 ビット）以上にしてください（{bytes.Length} バイト） / the local signing key must have at least 32 bytes (256 bits), not {bytes.Length}."
            : null;
    }
}

/// <summary>
/// Makes (or reads) the local signing key when the server starts, not at the first request that needs it: the token
/// command run against the server's data folder right after the start found no key, made one, and warned that its token
/// would be refused, which the server then accepted (breaker's finding). Nothing to do when an Authority is configured.
/// </summary>
internal sealed class LocalSigningKeyAtStart(Microsoft.Extensions.Options.IOptions<ReadinessAuthOptions> auth, Microsoft.Extensions.Options.IOptions<ReadinessOptions> readiness) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // API clients' keys (OpenIddict) derive from it even when people's tokens come from an Authority.
        LocalSigningKey.Resolve(auth.Value, readiness.Value);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

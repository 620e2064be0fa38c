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

    public static SymmetricSecurityKey Resolve(ReadinessAuthOptions auth, ReadinessOptions readiness)
    {
        if (!string.IsNullOrWhiteSpace(auth.SigningKey))
        {
            return FromBase64(auth.SigningKey, "Readiness:Auth:SigningKey");
        }

        var folder = Path.Combine(readiness.ResolveDataPath(), "auth");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            // Written whole to a temporary file and then moved into place (no overwrite): a reader in another process or
            // thread never sees the key half-written, and of two starting together one key wins and both use it.
            var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(temporary, options))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
                }

                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use that one.
            }
            finally
            {
                File.Delete(temporary);
            }
        }

        return FromBase64(File.ReadAllText(path).Trim(), path);
    }

    private static SymmetricSecurityKey FromBase64(string text, string source)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The local signing key in {source} is not base64.");
        }

        if (bytes.Length < 32)
        {
            throw new InvalidOperationException($"The local signing key in {source} must have at least 32 bytes (256 bits).");
        }

        return new SymmetricSecurityKey(bytes) { KeyId = "readiness-local" };
    }
}

using Microsoft.AspNetCore.Identity;

namespace Readiness.Web.Identity;

/// <summary>
/// Refuses common and breached passwords (a short list of the most used ones, in Japanese and English lists alike) and
/// passwords built from the person's own e-mail address. Length comes from <see cref="AccountOptions.PasswordMinLength"/>.
/// </summary>
public sealed class CommonPasswordValidator : IPasswordValidator<ReadinessUser>
{
    /// <summary>
    /// The longest password taken (characters): far above any phrase a person types (NIST SP 800-63B asks for at least
    /// 64), and a bound on the hashing work one request can ask for (a breaker set an 80,000-character password).
    /// </summary>
    public const int MaxLength = 256;

    /// <summary>From the published top-password lists (NCSC top 100k, SecLists); lower case, compared case-insensitively.</summary>
    private static readonly HashSet<string> Common = new(StringComparer.OrdinalIgnoreCase)
    {
        "123456789012", "1234567890123", "12345678901234", "123456789abc", "1234567890ab", "123123123123", "111111111111",
        "000000000000", "123456123456", "qwertyuiopas", "qwertyuiop12", "qwertyuiop123", "qwerty123456", "1qaz2wsx3edc",
        "1q2w3e4r5t6y", "1q2w3e4r5t6y7u", "password1234", "password12345", "password123!", "passw0rd1234", "p@ssw0rd1234",
        "p@ssword1234", "iloveyou1234", "administrator", "administrator1", "admin1234567", "adminadmin12", "welcome12345",
        "welcome123456", "letmein12345", "changeme1234", "changeme12345", "trustno11234", "sunshine1234", "football1234",
        "baseball1234", "princess1234", "superman1234", "dragon123456", "monkey123456", "abcdefghijkl", "abcd12345678",
        "abc123456789", "aaaaaaaaaaaa", "asdfghjkl123", "zxcvbnm12345", "readiness123", "readiness1234", "readiness2026",
        "government12", "government123", "municipality", "municipality1", "tokyo1234567", "japan1234567", "nippon123456",
        "sakura123456", "password2025", "password2026", "password2027", "passwordpassword", "qwertyqwerty", "11111111111111",
        "123456789123", "987654321098", "0123456789ab", "mynumber1234", "mynumbercard",
    };

    public Task<IdentityResult> ValidateAsync(UserManager<ReadinessUser> manager, ReadinessUser user, string? password)
    {
        if (password is null)
        {
            return Task.FromResult(IdentityResult.Success);
        }

        if (password.Length > MaxLength)
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError { Code = "password_too_long", Description = $"The password is longer than {MaxLength} characters." }));
        }

        if (IsCommon(password))
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError { Code = "common_password", Description = "This password is on a list of common or breached passwords." }));
        }

        var local = user.Email?.Split('@')[0];
        if (local is { Length: >= 4 } && password.Contains(local, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError { Code = "contains_email", Description = "The password contains the e-mail address." }));
        }

        return Task.FromResult(IdentityResult.Success);
    }

    /// <summary>On the list, or one character repeated, or a run of consecutive digits.</summary>
    public static bool IsCommon(string password) =>
        Common.Contains(password)
        || password.Distinct().Count() <= 2
        || "0123456789012345678901234567890".Contains(password, StringComparison.Ordinal)
        || "9876543210987654321098765432109".Contains(password, StringComparison.Ordinal);
}

using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Readiness.Catalog;
using Readiness.Hosting;

namespace Readiness.Web.Auth;

/// <summary>Issues JWTs signed with the local key, for the embedded default and for tests.</summary>
public static class LocalTokens
{
    public static string Issue(ReadinessAuthOptions auth, SecurityKey key, string subject, Role role, string? tenant, TimeSpan lifetime, DateTimeOffset now)
    {
        var claims = new Dictionary<string, object>
        {
            [auth.SubjectClaim] = subject,
            [auth.RoleClaim] = Wire.Name(role),
            ["name"] = subject,
        };
        if (tenant is not null)
        {
            claims[auth.TenantClaim] = tenant;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.LocalIssuer,
            Audience = auth.Audience,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }
}

/// <summary>
/// `dotnet run --project web/Readiness.Web -- token --role municipality --code 131016 [--subject name] [--hours 8]`:
/// prints a token signed with the key of the same data folder the server uses. Does not start the server.
/// </summary>
public static class LocalTokenCommand
{
    /// <summary>true: the token command runs in Production too (the setting an operator who really means it sets).</summary>
    [Readiness.Hosting.SettingType(typeof(bool))]
    public const string AllowTokenCommandKey = "Readiness:Auth:AllowTokenCommandInProduction";

    public const string Name = "token";

    private const string Usage = """
        Usage: token --role municipality|prefecture|national|admin [--code CODE] [--subject NAME] [--hours HOURS] [--allow-production true|false]
          --code     6-digit municipality code (role municipality) or 2-digit prefecture code (role prefecture)
          --subject  who the token names (default: local-<role>[-<code>])
          --hours    lifetime, 0.1 to 720 (default 8)
          --allow-production  true: issue a token although the environment is Production (refused otherwise); false: do not
        Each option once, as --name value or --name=value.
        The key comes from Readiness:Auth:SigningKey or {data folder}/auth/local-signing.key (Readiness__DataPath).
        """;

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == Name;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (CommandOptions.Read(args, ["role", "code", "subject", "hours", "allow-production"], Usage, output, error, out var values) is { } exit)
        {
            return exit;
        }

        if (!ReadinessCaller.TryParseRole(values.GetValueOrDefault("role"), out var role))
        {
            error.WriteLine(StartRefusal.Say($"--role '{values.GetValueOrDefault("role")}'", "municipality、prefecture、national、admin のいずれかを指定してください", "must be one of municipality, prefecture, national, admin."));
            error.WriteLine(Usage);
            return 2;
        }

        // Read as the API reads a tenant code in a body (TypedInput: NFKC, trimmed): full-width ３１２０１０ is 312010.
        var typedCode = values.GetValueOrDefault("code");
        var code = typedCode is null ? null : Components.TypedInput.Text(typedCode) ?? typedCode;
        if (role is Role.Municipality or Role.Prefecture ? !ReadinessCaller.IsValidTenant(role, code) : code is not null)
        {
            // The words of the invitation and role forms (TenantCodeWording), naming the code as typed.
            var (ja, en) = TenantCodeWording.Needed(role);
            error.WriteLine(StartRefusal.Say($"--code '{typedCode}'", ja, en));
            return 2;
        }

        // NaN compares false both ways, so the range is written as what is taken (NaN passed "< 0.1 or > 720" and aborted).
        var hours = 8.0;
        if (values.TryGetValue("hours", out var hoursText)
            && (!double.TryParse(hoursText, NumberStyles.Float, CultureInfo.InvariantCulture, out hours) || !(hours >= 0.1 && hours <= 720)))
        {
            error.WriteLine($"--hours '{hoursText}': 0.1 から 720 までの数を指定してください / must be a number from 0.1 to 720.");
            return 2;
        }

        // Only true or false: any value used to count as true ("--allow-production false" issued a token in Production).
        var allowProduction = false;
        if (values.TryGetValue("allow-production", out var allowText) && !bool.TryParse(allowText, out allowProduction))
        {
            error.WriteLine($"--allow-production '{allowText}': true か false を指定してください / must be true or false.");
            return 2;
        }

        var subject = values.GetValueOrDefault("subject") ?? $"local-{Wire.Name(role)}{(code is null ? string.Empty : "-" + code)}";
        if (!ReadinessCaller.IsValidSubject(subject))
        {
            error.WriteLine(StartRefusal.Say("--subject", $"1〜{ReadinessCaller.MaxSubjectLength} 文字で、制御文字や見えない文字を含まない名前を指定してください",
                $"must have 1 to {ReadinessCaller.MaxSubjectLength} characters, none of them control or invisible characters (OpenID Connect Core 1.0 §2)."));
            return 2;
        }

        // Same configuration sources as the server (appsettings, environment, user secrets), without starting it.
        var host = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        var configuration = host.Configuration;

        // The server's own checks of the configuration (a misspelt name, a signing key too short), refused as at its start.
        if (ConfigurationChecks.Refusal(configuration, error) is { } refused)
        {
            return refused;
        }

        var auth = new ReadinessAuthOptions();
        configuration.GetSection(ReadinessAuthOptions.Section).Bind(auth);

        // People sign in with accounts; a token minted on the server bypasses them, so production refuses it.
        if (host.Environment.IsProduction() && !allowProduction
            && !configuration.GetValue<bool>(AllowTokenCommandKey))
        {
            error.WriteLine(StartRefusal.Say("ASPNETCORE_ENVIRONMENT = Production",
                "本番環境では token コマンドは使えません（利用者はアカウントでサインインします）。開発・テスト・負荷試験では ASPNETCORE_ENVIRONMENT=Development で実行してください。本当に必要な運用者は --allow-production true を付けるか Readiness__Auth__AllowTokenCommandInProduction=true を設定してください",
                "the token command is refused in the Production environment (ASPNETCORE_ENVIRONMENT unset or Production): people sign in with accounts."));
            error.WriteLine("For development, tests and load tests run it with ASPNETCORE_ENVIRONMENT=Development; an operator who really means it adds --allow-production true");
            error.WriteLine("or sets Readiness__Auth__AllowTokenCommandInProduction=true.");
            return 3;
        }
        if (!string.IsNullOrWhiteSpace(auth.Authority))
        {
            error.WriteLine($"Note: Readiness:Auth:Authority is set ({auth.Authority}); the server will not accept local tokens.");
        }

        SymmetricSecurityKey key;
        string? keyPath;
        bool created;
        try
        {
            key = LocalSigningKey.Resolve(auth, SiloHosting.ReadOptions(configuration), out keyPath, out created);
        }
        catch (Exception unusable) when (unusable is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // A key file that is not a key, or a data folder that cannot be made: one line, as at the server's start.
            return StartRefusal.Report(unusable.Message.Any(StartRefusal.IsJapanese) ? unusable
                : StartRefusal.Refused($"Readiness:DataPath = '{SiloHosting.ReadOptions(configuration).ResolveDataPath()}'", "署名鍵のフォルダーを作れないか、鍵を読めません",
                    "the signing key's folder cannot be made or the key cannot be read.", unusable), error);
        }

        if (created)
        {
            // The usual slip: a data folder other than the server's. The token is printed anyway (a new data folder is a
            // real case), but its 401 later must not be a mystery.
            error.WriteLine($"注意: 署名鍵がなかったため新しく作りました（{keyPath}）。サーバーが別のデータフォルダーを使っていると、このトークンは拒否されます。サーバーと同じ Readiness__DataPath で実行してください。");
            error.WriteLine($"Note: there was no signing key, so a new one was made at {keyPath}. A server using another data folder will refuse this token (401): run the command with the server's Readiness__DataPath.");
        }

        output.WriteLine(LocalTokens.Issue(auth, key, subject, role, code, TimeSpan.FromHours(hours), DateTimeOffset.UtcNow));
        return 0;
    }
}

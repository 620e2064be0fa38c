using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Readiness.Hosting;

/// <summary>
/// Options checked at start with messages that name each wrong setting and its value (a Validate predicate has one fixed
/// message): a value the product cannot work with refuses the start instead of a server that reports healthy and fails
/// later (a setup link that cannot be made, a rate limiter that throws on its first request).
/// </summary>
public static class OptionsProblems
{
    /// <summary>
    /// Fails validation with every message <paramref name="problems"/> returns; checked on start. One such check per
    /// options type and name: a second registration (the web's ConfigurationChecks, then the co-hosted silo's own) is
    /// ignored, so each message is printed once.
    /// </summary>
    public static OptionsBuilder<T> ValidateProblemsOnStart<T>(this OptionsBuilder<T> options, Func<T, IEnumerable<string>> problems)
        where T : class
    {
        if (options.Services.Any(d => d.ServiceType == typeof(IValidateOptions<T>) && d.ImplementationInstance is Check<T> check && check.Name == options.Name))
        {
            return options.ValidateOnStart();
        }

        options.Services.AddSingleton<IValidateOptions<T>>(new Check<T>(options.Name, problems));
        return options.ValidateOnStart();
    }

    /// <summary>
    /// Registers the check of options type <typeparamref name="T"/>, bound afresh from <paramref name="section"/> of
    /// <paramref name="configuration"/> when checked, so that a collection without the server's bindings (a command's, or
    /// the check a process runs before it builds anything) checks the same values. A value the binder cannot convert is
    /// left to <see cref="SettingNames.ValueProblems"/>, which names it with the same converter; here it would end the
    /// whole check with the binder's English exception.
    /// </summary>
    public static IServiceCollection AddOptionsCheck<T>(this IServiceCollection services, IConfiguration configuration, string section, Func<T, IEnumerable<string>> problems)
        where T : class, new()
    {
        services.AddOptions<T>().ValidateProblemsOnStart(_ =>
        {
            T options;
            try
            {
                options = configuration.GetSection(section).Get<T>() ?? new T();
            }
            catch (InvalidOperationException)
            {
                return [];
            }

            return problems(options);
        });
        return services;
    }

    /// <summary>"{key} = {value}: {japanese} / {english}", the form of every problem with a setting; a text value is quoted, a number or time is not.</summary>
    public static string Setting(string key, object? value, string japanese, string english) =>
        StartRefusal.Say(FormattableString.Invariant($"{key} = {(value is string or null ? $"'{value}'" : Convert.ToString(value, CultureInfo.InvariantCulture))}"), japanese, english);

    /// <summary>"{section}:{name} = {value}: must be longer than zero" for each time of zero or less.</summary>
    public static IEnumerable<string> LongerThanZero(string section, params (string Name, TimeSpan Value)[] values) =>
        values.Where(v => v.Value <= TimeSpan.Zero)
            .Select(v => Setting($"{section}:{v.Name}", v.Value, "0 より長い時間を指定してください", "must be longer than zero."));

    /// <summary>"{section}:{name} = {value}: must not be negative" for each negative time (zero has a meaning: at once, never).</summary>
    public static IEnumerable<string> NotNegative(string section, params (string Name, TimeSpan Value)[] values) =>
        values.Where(v => v.Value < TimeSpan.Zero)
            .Select(v => Setting($"{section}:{v.Name}", v.Value, "0 以上を指定してください", "must not be negative."));

    /// <summary>"{section}:{name} = {value}: must be at least {least}" for each count below <paramref name="least"/>.</summary>
    public static IEnumerable<string> AtLeast(string section, double least, params (string Name, double Value)[] values) =>
        values.Where(v => !(v.Value >= least)) // NaN too
            .Select(v => Setting($"{section}:{v.Name}", v.Value, FormattableString.Invariant($"{least} 以上を指定してください"), FormattableString.Invariant($"must be at least {least}.")));

    /// <summary>"{section}:{name} = {value}: must be more than zero" for each number of zero or less (minutes, seconds).</summary>
    public static IEnumerable<string> MoreThanZero(string section, params (string Name, double Value)[] values) =>
        values.Where(v => !(v.Value > 0))
            .Select(v => Setting($"{section}:{v.Name}", v.Value, "0 より大きい値を指定してください", "must be more than zero."));

    private sealed class Check<T>(string? name, Func<T, IEnumerable<string>> problems) : IValidateOptions<T>
        where T : class
    {
        public string? Name => name;

        public ValidateOptionsResult Validate(string? optionsName, T options)
        {
            if (name is not null && name != optionsName)
            {
                return ValidateOptionsResult.Skip;
            }

            var found = problems(options).ToList();
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }

    /// <summary>
    /// The problem with an OpenID Connect authority (<paramref name="value"/> of <paramref name="section"/>:<paramref name="name"/>),
    /// or null: an absolute https URL, or http only where <paramref name="requireHttpsName"/> is false (development).
    /// The handlers refuse anything else on every request that resolves their options.
    /// </summary>
    public static string? AuthorityUrl(string section, string name, string? value, bool requireHttps, string requireHttpsName) =>
        !Uri.TryCreate(value, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp)
            ? $"{section}:{name} = '{value}': https の絶対 URL を指定してください / must be an absolute https URL."
            : authority.Scheme == Uri.UriSchemeHttp && requireHttps
                ? $"{section}:{name} = '{value}': https の URL を指定してください（http は {section}:{requireHttpsName}=false の開発用のみ） / must use https (http only for development, with {section}:{requireHttpsName}=false)."
                : null;

    /// <summary>
    /// The problem with a path on this host (a PathString: it must start with one "/"), or null; <paramref name="example"/>
    /// is shown in the message.
    /// </summary>
    public static string? LocalPath(string section, string name, string value, string example) =>
        !value.StartsWith('/') || value.StartsWith("//", StringComparison.Ordinal)
            ? $"{section}:{name} = '{value}': / で始まるパスを指定してください（例 {example}） / must be a path starting with / (e.g. {example})."
            : null;
}

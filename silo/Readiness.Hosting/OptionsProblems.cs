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
    /// <summary>Fails validation with every message <paramref name="problems"/> returns; checked on start.</summary>
    public static OptionsBuilder<T> ValidateProblemsOnStart<T>(this OptionsBuilder<T> options, Func<T, IEnumerable<string>> problems)
        where T : class
    {
        options.Services.AddSingleton<IValidateOptions<T>>(new Check<T>(options.Name, problems));
        return options.ValidateOnStart();
    }

    private sealed class Check<T>(string? name, Func<T, IEnumerable<string>> problems) : IValidateOptions<T>
        where T : class
    {
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
}

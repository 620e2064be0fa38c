using Readiness.Hosting;

namespace Readiness.Web;

/// <summary>
/// The options of the server's commands (<c>token</c>, <c>backup</c>, <c>restore</c>), read one way: <c>--name value</c>
/// or <c>--name=value</c> (the GNU long-option form people type from other tools), each name at most once, only the
/// command's own names. A refusal is one line naming the option in Japanese and English, then the usage, exit 2.
/// </summary>
public static class CommandOptions
{
    /// <summary>
    /// Reads <paramref name="args"/> after the command's name. Returns null with <paramref name="values"/> filled (name
    /// without dashes → value), or the exit code to end with: 0 after printing <paramref name="usage"/> for
    /// <c>--help</c>/<c>-h</c>, 2 after a refusal (no value, an empty value, an unknown option, an option given twice,
    /// an argument that is no option).
    /// </summary>
    public static int? Read(
        string[] args, IReadOnlyCollection<string> names, string usage, TextWriter output, TextWriter error,
        out Dictionary<string, string> values, (string Ja, string En)? needsValue = null)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        var (needsJa, needsEn) = needsValue ?? ("値を指定してください", "needs a value.");
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                output.WriteLine(usage);
                return 0;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                return Refuse(error, usage, StartRefusal.Say($"'{arg}'", "この引数は使えません", "unexpected argument."));
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg[2..] : arg[2..equals];
            if (!names.Contains(name))
            {
                return Refuse(error, usage, StartRefusal.Say("--" + name, "知らないオプションです", "unknown option."));
            }

            // An option given twice (--role national --role admin) is refused, never the last one taken in silence.
            if (values.ContainsKey(name))
            {
                return Refuse(error, usage, StartRefusal.Say("--" + name, "2回以上指定されています。1回だけ指定してください", "is given more than once; give it once."));
            }

            string? value = equals >= 0 ? arg[(equals + 1)..] : i + 1 < args.Length ? args[++i] : null;
            if (string.IsNullOrEmpty(value))
            {
                return Refuse(error, usage, StartRefusal.Say("--" + name, needsJa, needsEn));
            }

            values[name] = value;
        }

        return null;
    }

    private static int Refuse(TextWriter error, string usage, string line)
    {
        error.WriteLine(line);
        error.WriteLine(usage);
        return 2;
    }
}

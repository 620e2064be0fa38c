using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Readiness.Hosting;

/// <summary>
/// The settings a process knows under the "Readiness" section, derived from its options types by reflection, so that a
/// misspelt name refuses the start instead of being ignored in silence (Readiness__DataPth=/var/lib/x used to start on
/// the default data folder, the operator's data going elsewhere). Names compare case-insensitively, as configuration does.
/// </summary>
public sealed class SettingNames
{
    private readonly HashSet<string> leaves = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Dictionary- and list-valued settings: any child key is theirs.</summary>
    private readonly HashSet<string> open = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Sections with at least one known name under them ("Readiness:Auth" for "Readiness:Auth:Authority").</summary>
    private readonly HashSet<string> sections = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Every options type in <paramref name="assemblies"/> with a <c>const string Section</c> starting "Readiness", each
    /// bindable property a name under it, and every other <c>const string</c> whose value is a "Readiness:" key read
    /// directly (a field named …Key). Types bound under another field's section are added with <see cref="Add"/>.
    /// </summary>
    public static SettingNames From(params Assembly[] assemblies)
    {
        // Orleans' own options, bound as overrides under a section named in ClusterHosting.
        var names = new SettingNames().Add(ClusterHosting.MembershipSection, typeof(Orleans.Configuration.ClusterMembershipOptions));
        foreach (var type in assemblies.Distinct().SelectMany(LoadableTypes))
        {
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                if (!field.IsLiteral || field.FieldType != typeof(string) || field.GetRawConstantValue() is not string value
                    || !(value.Equals(ReadinessOptions.Section, StringComparison.Ordinal) || value.StartsWith(ReadinessOptions.Section + ":", StringComparison.Ordinal)))
                {
                    continue;
                }

                if (field.Name == "Section")
                {
                    names.Add(value, type);
                }
                else if (field.Name.EndsWith("Key", StringComparison.Ordinal))
                {
                    names.AddKey(value);
                }
            }
        }

        return names;
    }

    /// <summary>The settings a cluster silo process knows: the hosting options (the web tier's are its own).</summary>
    public static SettingNames Silo() => From(typeof(SettingNames).Assembly);

    /// <summary>Adds the bindable properties of <paramref name="type"/> under <paramref name="section"/> (e.g. "Readiness:Membership").</summary>
    public SettingNames Add(string section, Type type)
    {
        AddSection(section);
        AddProperties(section, type, depth: 0);
        return this;
    }

    /// <summary>Adds one key read directly (configuration["Readiness:…"]).</summary>
    public SettingNames AddKey(string key)
    {
        leaves.Add(key);
        AddSection(Parent(key));
        return this;
    }

    /// <summary>Whether <paramref name="key"/> (e.g. "Readiness:Auth:Authority") is a setting or under an open one.</summary>
    public bool IsKnown(string key)
    {
        if (leaves.Contains(key) || sections.Contains(key))
        {
            return true;
        }

        for (var parent = Parent(key); parent.Length > 0; parent = Parent(parent))
        {
            if (open.Contains(parent))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// One message per key under "Readiness" in <paramref name="configuration"/> that is not known, naming the closest
    /// known setting when one is within a small edit distance. With <paramref name="onlyOwnSections"/>, a key under a
    /// subsection this process knows nothing under is left alone: it is another tier's (a silo and web nodes often
    /// share one environment), and that tier judges it.
    /// </summary>
    public IEnumerable<string> Problems(IConfiguration configuration, bool onlyOwnSections = false)
    {
        foreach (var (key, value) in configuration.GetSection(ReadinessOptions.Section).AsEnumerable().OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            // Null: a section (a JSON object), not a value; its children are judged one by one.
            if (value is null || IsKnown(key))
            {
                continue;
            }

            if (onlyOwnSections && !IsUnderKnownSection(key))
            {
                continue;
            }

            var closest = Closest(key);
            yield return closest is null
                ? $"{key} は設定ではありません / {key} is not a setting (docs: deploy/README.md)."
                : $"{key} は設定ではありません。{closest} のことですか / {key} is not a setting; did you mean {closest}?";
        }
    }

    /// <summary>The known name nearest to <paramref name="key"/> (case-insensitive edit distance at most a third of its length, and 3), or null.</summary>
    public string? Closest(string key)
    {
        var limit = Math.Min(3, Math.Max(1, key.Length / 3));
        return leaves.Concat(open)
            .Select(known => (Known: known, Distance: Distance(key.ToUpperInvariant(), known.ToUpperInvariant())))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance).ThenBy(c => c.Known, StringComparer.Ordinal)
            .Select(c => c.Known)
            .FirstOrDefault();
    }

    /// <summary>Levenshtein distance with adjacent transpositions (optimal string alignment): "DataPth" to "DataPath" is 1.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private bool IsUnderKnownSection(string key)
    {
        // "Readiness:Auth:Foo": this process's when it knows "Readiness:Auth"; "Readiness:Foo" always is.
        var parts = key.Split(':');
        return parts.Length <= 2 || sections.Contains(parts[0] + ":" + parts[1]);
    }

    private void AddSection(string section)
    {
        for (var s = section; s.Length > 0; s = Parent(s))
        {
            sections.Add(s);
        }
    }

    private void AddProperties(string prefix, Type type, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null)
            {
                continue;
            }

            var key = prefix + ":" + property.Name;
            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsScalar(valueType))
            {
                // The binder sets a scalar only through a setter.
                if (property.SetMethod is { IsPublic: true })
                {
                    leaves.Add(key);
                }
            }
            else if (typeof(System.Collections.IEnumerable).IsAssignableFrom(valueType))
            {
                open.Add(key);
                sections.Add(key);
            }
            else if (depth < 4 && (valueType.IsClass || valueType.IsValueType))
            {
                // A nested options object (Readiness:Backup): bound through its getter or setter.
                sections.Add(key);
                AddProperties(key, valueType, depth + 1);
            }
        }
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly)
        || type == typeof(Guid) || type == typeof(Uri) || type == typeof(object)
        || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    private static string Parent(string key)
    {
        var last = key.LastIndexOf(':');
        return last < 0 ? string.Empty : key[..last];
    }

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException partial)
        {
            return partial.Types.OfType<Type>();
        }
    }
}

/// <summary>Registers the check of <see cref="SettingNames"/> with the options checked on start.</summary>
public static class SettingNamesCheck
{
    /// <summary>
    /// Refuses the start (<see cref="OptionsProblems"/>, one message per name) when the final configuration (every
    /// source, read at start) holds a "Readiness" key <paramref name="names"/> does not know.
    /// </summary>
    public static IServiceCollection RefuseUnknownSettings(this IServiceCollection services, IConfiguration configuration, SettingNames names, bool onlyOwnSections = false)
    {
        services.AddOptions<Checked>().ValidateProblemsOnStart(_ => names.Problems(configuration, onlyOwnSections));
        return services;
    }

    /// <summary>Nothing to bind: the options type the check hangs on.</summary>
    public sealed class Checked;
}

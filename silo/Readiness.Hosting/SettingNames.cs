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

    /// <summary>The type each leaf is bound to (a key read directly has one when its constant says so, <see cref="SettingTypeAttribute"/>).</summary>
    private readonly Dictionary<string, Type> types = new(StringComparer.OrdinalIgnoreCase);

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
                    names.AddKey(value, field.GetCustomAttribute<SettingTypeAttribute>()?.Type);
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

    /// <summary>Adds one key read directly (configuration["Readiness:…"]), with the type it is read as when known.</summary>
    public SettingNames AddKey(string key, Type? type = null)
    {
        leaves.Add(key);
        if (type is not null)
        {
            types[key] = type;
        }

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

    /// <summary>
    /// One message per known setting whose value its type cannot take, naming the key, the value and what it takes, in
    /// Japanese and English: the binder converts with the same TypeDescriptor converter and the invariant culture, and
    /// its own failure ("Failed to convert configuration value 'abc' at 'Readiness:Proxy:ForwardLimit' to type
    /// 'System.Int32'") was English only and ended the checks at the first value. A number that names no value of an
    /// enum (the converter takes "5") is refused too: no setting means it.
    /// </summary>
    public IEnumerable<string> ValueProblems(IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.GetSection(ReadinessOptions.Section).AsEnumerable().OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (value is not null && types.TryGetValue(key, out var type) && Expected(type, value) is { } expected)
            {
                yield return OptionsProblems.Setting(key, value, expected.Japanese, expected.English);
            }
        }
    }

    /// <summary>What <paramref name="type"/> takes, when <paramref name="value"/> is not that; null when it converts as the binder converts it.</summary>
    private static (string Japanese, string English)? Expected(Type type, string value)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            if (value.Length == 0)
            {
                return null; // the binder leaves a nullable empty
            }

            type = underlying;
        }

        var converter = TypeDescriptor.GetConverter(type);
        if (type == typeof(string) || type == typeof(object) || !converter.CanConvertFrom(typeof(string)))
        {
            return null;
        }

        try
        {
            var converted = converter.ConvertFromInvariantString(value);
            if (!type.IsEnum || type.IsDefined(typeof(FlagsAttribute), false) || Enum.IsDefined(type, converted!))
            {
                return null;
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or NotSupportedException or InvalidCastException)
        {
            // A converter reports a value it cannot take with one of these (Int32Converter wraps the FormatException in an ArgumentException).
        }

        return type switch
        {
            _ when type.IsEnum => ($"{string.Join(", ", Enum.GetNames(type))} のいずれかを指定してください", $"must be one of {string.Join(", ", Enum.GetNames(type))}."),
            _ when type == typeof(bool) => ("true か false を指定してください", "must be true or false."),
            _ when type == typeof(TimeSpan) => ("時間を [日.]時:分:秒 の形で指定してください（例 00:05:00、1.00:00:00）", "must be a time as [days.]hh:mm:ss (e.g. 00:05:00, 1.00:00:00)."),
            _ when type == typeof(TimeOnly) => ("時刻を 時:分 の形で指定してください（例 08:00）", "must be a time of day as hh:mm (e.g. 08:00)."),
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte)
                => ("整数を指定してください", "must be a whole number."),
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => ("数を指定してください（例 2.5）", "must be a number (e.g. 2.5)."),
            _ => ($"{type.Name} として読めません", $"cannot be read as {type.Name}."),
        };
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
                    types[key] = property.PropertyType;
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
    /// Refuses the start (<see cref="OptionsProblems"/>, one message per name or value) when the final configuration
    /// (every source, read at start) holds a "Readiness" key <paramref name="names"/> does not know, or a value a known
    /// setting's type cannot take (<see cref="SettingNames.ValueProblems"/>).
    /// </summary>
    public static IServiceCollection RefuseUnknownSettings(this IServiceCollection services, IConfiguration configuration, SettingNames names, bool onlyOwnSections = false)
    {
        services.AddOptions<Checked>().ValidateProblemsOnStart(_ => names.Problems(configuration, onlyOwnSections).Concat(names.ValueProblems(configuration)));
        return services;
    }

    /// <summary>Nothing to bind: the options type the check hangs on.</summary>
    public sealed class Checked;
}

/// <summary>
/// The type a setting read directly (a <c>const string …Key</c>, not an options property) is read as, so that its value
/// is checked as an options property's is (<see cref="SettingNames.ValueProblems"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class SettingTypeAttribute(Type type) : Attribute
{
    public Type Type { get; } = type;
}

using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>
/// Names a rule's refusal (422) by the JSON path of the member in the body sent, the name <see cref="JsonBody"/> gives
/// the same member when it is malformed (400): a single system or checklist item write names the member itself
/// (<c>plannedGoLive</c>, <c>designationTarget</c>); a report names its item by index (<c>systems[3].plannedGoLive</c>).
/// The rules name items by key (<c>systems[koseki].plannedGoLive</c>), which the dashboard's forms and the Excel
/// template map to their own fields and cells; only the API's answer is renamed.
/// </summary>
public sealed class BodyFields
{
    private readonly bool single;
    private readonly IReadOnlyList<string?> systems;
    private readonly IReadOnlyList<string?> security;

    // Indexed at the first refusal named: a report the rules accept (nearly all) never needs it (issue 14).
    private Dictionary<string, Queue<int>>? occurrences;

    private BodyFields(bool single, IReadOnlyList<string?> systems, IReadOnlyList<string?> security)
    {
        this.single = single;
        this.systems = systems;
        this.security = security;
    }

    /// <summary>A body that is one system or one item (PUT/PATCH …/systems/{businessId}, …/security/{itemId}).</summary>
    public static BodyFields Single() => new(single: true, [], []);

    /// <summary>A report: the business ids and item ids of its <c>systems</c> and <c>security</c> arrays, in the order sent.</summary>
    public static BodyFields Report(IReadOnlyList<string?> systems, IReadOnlyList<string?> security) => new(single: false, systems, security);

    /// <summary>
    /// The wire name of one error's field. Errors come in the order the rules check the items, so an item sent twice is
    /// told apart by its <c>duplicate</c> error, which comes first among the second one's errors.
    /// </summary>
    public string Name(ValidationError error)
    {
        var field = WriteApi.WireField(error.Field);
        var open = field.IndexOf('[', StringComparison.Ordinal);
        var close = field.IndexOf(']', StringComparison.Ordinal);
        if (open <= 0 || close < open || field[..open] is not ("systems" or "security"))
        {
            return field;
        }

        var collection = field[..open];
        var key = field[(open + 1)..close];
        var rest = field[(close + 1)..];
        if (single)
        {
            return rest.StartsWith('.') ? rest[1..] : collection;
        }

        if (occurrences is null)
        {
            occurrences = new(StringComparer.Ordinal);
            Index("systems", systems);
            Index("security", security);
        }

        if (int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
            || !occurrences.TryGetValue($"{collection}[{key}]", out var at) || at.Count == 0)
        {
            return field;
        }

        if (error.Code == "duplicate" && at.Count > 1)
        {
            at.Dequeue();
        }

        return $"{collection}[{at.Peek().ToString(System.Globalization.CultureInfo.InvariantCulture)}]{rest}";
    }

    private void Index(string collection, IReadOnlyList<string?> keys)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (keys[i] is { } key)
            {
                var name = $"{collection}[{key}]";
                if (!occurrences!.TryGetValue(name, out var at))
                {
                    occurrences[name] = at = new Queue<int>();
                }

                at.Enqueue(i);
            }
        }
    }
}

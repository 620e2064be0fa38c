namespace Readiness.Web.Identity;

/// <summary>
/// A refused account form shown again as its post's answer (422, as the dashboard's other forms are): every field's
/// fault at once, next to its field, and what was typed, secrets left out (passwords are typed again).
/// <see cref="Target"/> names the row of a form repeated per person (the role form: the account's id).
/// </summary>
public sealed record AccountFormState(IReadOnlyList<AccountFault> Faults, IReadOnlyDictionary<string, string> Values, string? Target = null)
{
    /// <summary>No post: a form opened afresh.</summary>
    public static AccountFormState Empty { get; } = new([], new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>Fields never shown again: passwords, and the antiforgery token (the page renders a fresh one).</summary>
    public static readonly IReadOnlySet<string> NotKept = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "password", "confirm", "currentPassword", "newPassword", "__RequestVerificationToken",
    };

    /// <summary>
    /// The posted fields (first value of each, cut to its field's limit in <paramref name="limits"/>, the form's own
    /// table, as a field shows it; a link's user and token whole, as the service took them) but secrets, with the
    /// result's faults.
    /// </summary>
    public static AccountFormState From(IFormCollection form, AccountResult result, Components.FormFieldLimits limits, string? target = null) => new(
        result.Faults,
        form.Where(f => !NotKept.Contains(f.Key)).ToDictionary(
            f => f.Key,
            f => f.Key is "token" or "user" ? f.Value.ToString() : limits.Shown(f.Key, f.Value.ToString()) ?? string.Empty,
            StringComparer.Ordinal),
        target);

    /// <summary>What was typed in <paramref name="name"/>, or null.</summary>
    public string? Value(string name) => Values.TryGetValue(name, out var value) ? value : null;

    /// <summary>The faults of one field, in order.</summary>
    public IEnumerable<AccountFault> For(string field) => Faults.Where(f => f.Field == field);

    /// <summary>"true" for aria-invalid on a field with a fault, else null (no attribute).</summary>
    public string? Invalid(string field) => Faults.Any(f => f.Field == field) ? "true" : null;

    /// <summary>The field's hint and error ids for aria-describedby: <paramref name="hint"/> and, when it has a fault, its error.</summary>
    public string? DescribedBy(string field, string errorId, string? hint = null) =>
        string.Join(' ', new[] { hint, Invalid(field) is null ? null : errorId }.OfType<string>()) is { Length: > 0 } ids ? ids : null;
}

namespace Readiness.Web.Components;

/// <summary>
/// One field's fault: the form field it names and a fixed code. The message comes from the form's table of codes (the
/// account forms': AccountMessages), or, when the check words it itself (a webhook's refused address, a scenario's
/// line), from <see cref="Ja"/> and <see cref="En"/>.
/// </summary>
public sealed record FieldFault(string Field, string Code, string? Detail = null, string? Ja = null, string? En = null)
{
    /// <summary>A problem details error (field, code, both messages) as a form field's fault.</summary>
    public static FieldFault From(Api.ProblemError error) => new(error.Field, error.Code, null, error.MessageJa, error.MessageEn);

    /// <summary>This fault as one entry of a problem details <c>errors</c> list (its own words, else <paramref name="messages"/>' for its code).</summary>
    public Api.ProblemError ToProblemError(Func<string, (string Ja, string En)?>? messages = null) =>
        (Ja, En) is ({ } ja, { } en) ? new(Field, Code, ja, en)
        : messages?.Invoke(Code) is var (mja, men) ? new(Field, Code, mja, men)
        : new(Field, Code, Code, Code);
}

/// <summary>
/// A refused dashboard form shown again as its post's answer (422): every field's fault at once, next to its field
/// (<see cref="DescribedBy"/> links each for aria-describedby), and what was typed, secrets left out (passwords are typed
/// again). Every form of the dashboard that refuses input answers with one of these: the account forms, the new API
/// client, the webhook registration, notification preferences and the scenario editor.
/// <see cref="Target"/> names the row of a form repeated per item (the role form: the account's id).
/// </summary>
public sealed record FormState(IReadOnlyList<FieldFault> Faults, IReadOnlyDictionary<string, string> Values, string? Target = null)
{
    /// <summary>No post: a form opened afresh.</summary>
    public static FormState Empty { get; } = new([], new Dictionary<string, string>(StringComparer.Ordinal));

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
    public static FormState From(IFormCollection form, Identity.AccountResult result, FormFieldLimits limits, string? target = null) => From(form, result.Faults, limits, target);

    /// <summary>The posted fields but secrets (as <see cref="From(IFormCollection, Identity.AccountResult, FormFieldLimits, string?)"/>), with <paramref name="faults"/>.</summary>
    public static FormState From(IFormCollection form, IReadOnlyList<FieldFault> faults, FormFieldLimits limits, string? target = null) => new(
        faults,
        form.Where(f => !NotKept.Contains(f.Key)).ToDictionary(
            f => f.Key,
            f => f.Key is "token" or "user" ? f.Value.ToString() : limits.Shown(f.Key, f.Value.ToString()) ?? string.Empty,
            StringComparer.Ordinal),
        target);

    /// <summary>Whether the form was posted and refused (a page shows its "nothing was saved" line then).</summary>
    public bool Refused => Faults.Count > 0;

    /// <summary>What was typed in <paramref name="name"/>, or null (a checkbox left unticked sends nothing: null).</summary>
    public string? Value(string name) => Values.TryGetValue(name, out var value) ? value : null;

    /// <summary>The faults of one field, in order.</summary>
    public IEnumerable<FieldFault> For(string field) => Faults.Where(f => f.Field == field);

    /// <summary>"true" for aria-invalid on a field with a fault, else null (no attribute).</summary>
    public string? Invalid(string field) => Faults.Any(f => f.Field == field) ? "true" : null;

    /// <summary>The field's hint and error ids for aria-describedby: <paramref name="hint"/> and, when it has a fault, its error.</summary>
    public string? DescribedBy(string field, string errorId, string? hint = null) =>
        string.Join(' ', new[] { hint, Invalid(field) is null ? null : errorId }.OfType<string>()) is { Length: > 0 } ids ? ids : null;
}

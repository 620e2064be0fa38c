using System.Security.Cryptography;
using System.Text;

namespace Readiness.Web.Identity;

/// <summary>
/// A one-time guard for the form posts whose 200 answer shows a secret or a one-time link (a new API client, a new
/// client secret, an invitation or reset link shown without SMTP, recovery codes). A browser reload of that answer
/// ("Resubmit") sends the very same form again: same antiforgery token (a fresh one per rendered page), same fields.
/// The first post of a form claims it; a replay is refused (<see cref="ReplayedCode"/>) and changes nothing, so the
/// secret just shown stays the valid one. The claim is an atomic upsert in the identity database
/// (<see cref="AccountCounters.TryClaimAsync"/>), so it holds across web nodes (no affinity); a claim holds for
/// <see cref="Hold"/> from the form's first post, whatever the time of day (it used to end with the UTC day it was made
/// in, so a reload a minute after midnight UTC acted again).
/// </summary>
public sealed class FormReplays(AccountCounters counters)
{
    /// <summary>How long a form's first post keeps its replays refused: 24 hours from that post.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromHours(24);

    /// <summary>The error code a replayed form is sent back with (messages in both languages: AccountMessages, ClientMessages).</summary>
    public const string ReplayedCode = "form_replayed";

    /// <summary>
    /// True for the first post of this form by this person to this address; false for a replay of it (the same
    /// antiforgery token and the same fields). Call after the form is read and checked, before acting.
    /// </summary>
    public async Task<bool> FirstAsync(HttpContext http, string? userId, IFormCollection form, CancellationToken cancellationToken)
    {
        var text = new StringBuilder().Append(userId).Append('\n').Append(http.Request.Path.Value).Append('\n');
        foreach (var field in form.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            text.Append(field.Key).Append('=').Append(string.Join('\u0001', field.Value.ToArray())).Append('\n');
        }

        // Only a hash is stored: the fields may hold a one-time code.
        var key = "form:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        return await counters.TryClaimAsync(key, Hold, cancellationToken);
    }
}

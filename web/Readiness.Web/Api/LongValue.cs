using System.Text.Json;
using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>
/// A string value of an over-limit JSON body that is by itself far over the longest text its member takes: where it is
/// ("systems[0].vendor"), its member's name, and how many bytes of it were seen (<paramref name="Bytes"/>; at least
/// that many when <paramref name="Cut"/>, the value going on past what was read). A 413 for such a body names it: a
/// breaker's finding, a report holding one 300 KiB vendor was told to split the report, which leaves that value as it is.
/// </summary>
/// <param name="Path">The value's place in the body, spelled as the 400s spell it.</param>
/// <param name="Member">The member's name ("vendor"), or null for an array's element.</param>
/// <param name="MaxCharacters">The most characters the member takes (<see cref="ChangeRules"/>; the longest text of all for a member it does not name).</param>
/// <param name="Bytes">Bytes of the value seen, as sent (escapes included).</param>
/// <param name="Cut">True when the value goes on past the bytes looked at.</param>
public sealed record LongValue(string Path, string? Member, int MaxCharacters, long Bytes, bool Cut)
{
    /// <summary>The most bytes one character takes as sent: a \uXXXX escape. A value longer than this times its member's limit is over it however it was written.</summary>
    private const int MaxBytesPerCharacter = 6;

    /// <summary>The most characters <paramref name="member"/> takes: <see cref="ChangeRules"/>' limits, the longest (evidence) for any other.</summary>
    public static int MaxCharactersOf(string? member) => member switch
    {
        "vendor" => ChangeRules.MaxVendorLength,
        "regressionReason" or "designationReasonNote" => ChangeRules.MaxReasonLength,
        _ => ChangeRules.MaxEvidenceLength,
    };

    /// <summary>
    /// The first string value in <paramref name="json"/> (the start of a body, maybe cut anywhere) over
    /// <see cref="MaxBytesPerCharacter"/> times its member's limit; null when there is none, or the bytes are not JSON.
    /// </summary>
    public static LongValue? Find(ReadOnlySpan<byte> json)
    {
        var position = new JsonBodyPosition();
        var reader = new Utf8JsonReader(json, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 }));
        try
        {
            LongValue? found = null;
            while (found is null && reader.Read())
            {
                var bytes = reader.TokenType == JsonTokenType.String ? (reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length) : 0;
                position.Follow(ref reader, () =>
                {
                    if (bytes > (long)MaxBytesPerCharacter * MaxCharactersOf(position.Member))
                    {
                        found = new LongValue(position.Path, position.Member, MaxCharactersOf(position.Member), bytes, Cut: false);
                    }
                });
            }

            if (found is not null)
            {
                return found;
            }

            // The reader stopped for want of bytes: a string that opens here and runs to the end is a value cut short.
            var rest = json[(int)reader.BytesConsumed..].TrimStart(" \t\r\n,:"u8);
            if (rest.Length > 0 && rest[0] == (byte)'"')
            {
                position.Step();
                if (rest.Length - 1 > (long)MaxBytesPerCharacter * MaxCharactersOf(position.Member))
                {
                    return new LongValue(position.Path, position.Member, MaxCharactersOf(position.Member), rest.Length - 1, Cut: true);
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: nothing to name.
        }

        return null;
    }
}

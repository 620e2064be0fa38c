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
        var frames = new List<(bool Array, string? Name, int Index)>();
        var reader = new Utf8JsonReader(json, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 64 }));
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (frames.Count > 0)
                        {
                            frames[^1] = frames[^1] with { Name = reader.GetString() };
                        }

                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Step(frames);
                        frames.Add((reader.TokenType == JsonTokenType.StartArray, null, -1));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        if (frames.Count > 0)
                        {
                            frames.RemoveAt(frames.Count - 1);
                        }

                        Done(frames);
                        break;
                    default:
                        Step(frames);
                        var bytes = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                        if (reader.TokenType == JsonTokenType.String && At(frames) is var (path, member) && bytes > (long)MaxBytesPerCharacter * MaxCharactersOf(member))
                        {
                            return new LongValue(path, member, MaxCharactersOf(member), bytes, Cut: false);
                        }

                        Done(frames);
                        break;
                }
            }

            // The reader stopped for want of bytes: a string that opens here and runs to the end is a value cut short.
            var rest = json[(int)reader.BytesConsumed..].TrimStart(" \t\r\n,:"u8);
            if (rest.Length > 0 && rest[0] == (byte)'"')
            {
                Step(frames);
                var (path, member) = At(frames);
                if (rest.Length - 1 > (long)MaxBytesPerCharacter * MaxCharactersOf(member))
                {
                    return new LongValue(path, member, MaxCharactersOf(member), rest.Length - 1, Cut: true);
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: nothing to name.
        }

        return null;

        static void Step(List<(bool Array, string? Name, int Index)> frames)
        {
            if (frames.Count > 0 && frames[^1].Array)
            {
                frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
            }
        }

        static void Done(List<(bool Array, string? Name, int Index)> frames)
        {
            if (frames.Count > 0 && !frames[^1].Array)
            {
                frames[^1] = frames[^1] with { Name = null };
            }
        }

        static (string Path, string? Member) At(List<(bool Array, string? Name, int Index)> frames)
        {
            var path = string.Concat(frames.Select(f => f.Array ? (f.Index >= 0 ? $"[{f.Index}]" : string.Empty) : f.Name is null ? string.Empty : "." + f.Name));
            var member = frames.Count > 0 && !frames[^1].Array ? frames[^1].Name : null;
            return (path.Length == 0 ? "body" : path.TrimStart('.'), member);
        }
    }
}

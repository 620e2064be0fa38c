using System.Text.Json;

namespace Readiness.Web.Api;

/// <summary>
/// Where a reader of a JSON body is, spelled as the 400s spell it ("systems[2].vendor", "designation.reason"; "body" at
/// the top), and the member it is in: followed token by token (<see cref="Follow"/>). One walker for both readers that
/// name a place in a body: the malformed body's (<see cref="JsonBody"/>) and the over-limit value's (<see cref="LongValue"/>).
/// </summary>
internal sealed class JsonBodyPosition
{
    private readonly List<(bool Array, string? Name, int Index)> frames = [];

    /// <summary>
    /// Follows the token <paramref name="reader"/> has just read. A value token is followed in two halves around
    /// <paramref name="atValue"/> (called with the value's place), so the place names the value, not the member after it.
    /// </summary>
    public void Follow(ref Utf8JsonReader reader, Action? atValue = null)
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
                Step();
                frames.Add((reader.TokenType == JsonTokenType.StartArray, null, -1));
                break;
            case JsonTokenType.EndObject or JsonTokenType.EndArray:
                if (frames.Count > 0)
                {
                    frames.RemoveAt(frames.Count - 1);
                }

                Done();
                break;
            default:
                Step();
                atValue?.Invoke();
                Done();
                break;
        }
    }

    /// <summary>Moves to the next element when inside an array (a value or a container begins there).</summary>
    public void Step()
    {
        if (frames.Count > 0 && frames[^1].Array)
        {
            frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
        }
    }

    /// <summary>A member whose value is complete is no longer where the reader is.</summary>
    private void Done()
    {
        if (frames.Count > 0 && !frames[^1].Array)
        {
            frames[^1] = frames[^1] with { Name = null };
        }
    }

    /// <summary>The place, e.g. "systems[0].vendor"; "body" at the top.</summary>
    public string Path
    {
        get
        {
            var path = string.Concat(frames.Select(f => f.Array ? (f.Index >= 0 ? $"[{f.Index}]" : string.Empty) : f.Name is null ? string.Empty : "." + f.Name));
            return path.Length == 0 ? "body" : path.TrimStart('.');
        }
    }

    /// <summary>The member's name the reader is in ("vendor"); null at the top or for an array's element.</summary>
    public string? Member => frames.Count > 0 && !frames[^1].Array ? frames[^1].Name : null;
}

using System.Buffers;
using System.Text;

namespace Readiness.Rules;

/// <summary>
/// Writes the characters beyond the Basic Multilingual Plane (emoji such as 😀, surrogate-pair kanji such as 𠮷 U+20BB7)
/// of UTF-8 JSON as themselves. System.Text.Json's encoders escape every such character as a <c>\uD83D\uDE00</c> pair,
/// even the relaxed one, and a person reading an audit CSV sees the escapes instead of the name. Pure.
/// </summary>
public static class JsonAstral
{
    /// <summary>
    /// <paramref name="json"/> (UTF-8 JSON as System.Text.Json writes it) with each escaped surrogate pair
    /// (<c>\uD8xx\uDCxx</c>, either hex case) replaced by the character's UTF-8 bytes, written to <paramref name="output"/>;
    /// every other byte, escaped backslash (<c>\\</c>) and lone surrogate escape is kept as it was. Returns the bytes written.
    /// </summary>
    public static int Unescape(ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        var written = 0;
        var start = 0;
        var i = 0;
        while (i < json.Length)
        {
            if (json[i] != (byte)'\\' || i + 1 >= json.Length)
            {
                i++;
                continue;
            }

            if (json[i + 1] == (byte)'u' && i + 12 <= json.Length && json[i + 6] == (byte)'\\' && json[i + 7] == (byte)'u'
                && Hex(json.Slice(i + 2, 4)) is var high and >= 0xD800 and <= 0xDBFF
                && Hex(json.Slice(i + 8, 4)) is var low and >= 0xDC00 and <= 0xDFFF)
            {
                written += Copy(json[start..i], output);
                var rune = new Rune((char)high, (char)low);
                var bytes = output.GetSpan(4);
                var n = rune.EncodeToUtf8(bytes);
                output.Advance(n);
                written += n;
                i += 12;
                start = i;
                continue;
            }

            i += 2; // an escape of two characters at least (\\, \", \n, \u…): its second byte is never a backslash of its own
        }

        return written + Copy(json[start..], output);
    }

    /// <summary>Whether <paramref name="json"/> may hold an escaped surrogate (so that <see cref="Unescape"/> changes it).</summary>
    public static bool MayHaveEscapedPairs(ReadOnlySpan<byte> json) =>
        json.IndexOf("\\uD"u8) >= 0 || json.IndexOf("\\ud"u8) >= 0;

    private static int Copy(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        output.Write(bytes);
        return bytes.Length;
    }

    /// <summary>Four hex digits as a number; -1 when they are not.</summary>
    private static int Hex(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var b in digits)
        {
            var d = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                _ => -1,
            };
            if (d < 0)
            {
                return -1;
            }

            value = (value * 16) + d;
        }

        return value;
    }
}

using Readiness.Web.Auth;

namespace Readiness.Tests.Auth;

/// <summary>
/// The redirect-target check against a corpus of open-redirect variants (as the server sees them: query values are
/// already percent-decoded once) and an exhaustive run over short strings of the characters that matter, each judged
/// by a model of how a browser (WHATWG URL parsing) reads a relative URL.
/// </summary>
public sealed class LocalRedirectTargetTests
{
    public static TheoryData<string?> Refused() => new()
    {
        null,
        "",
        "/\t/evil.example/phish",          // the example: the browser drops the TAB
        "/\n/evil.example",
        "/\r/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        " //evil.example",                 // the browser trims leading spaces
        "//evil.example",
        "///evil.example",
        "//evil.example/%2F..",
        "/\\evil.example",                 // the browser reads "\" as "/"
        "\\\\evil.example",
        "\\/evil.example",
        "/\t\\evil.example",
        "https://evil.example/phish",
        "http:evil.example",
        "HTTPS://evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.example/phish",
        "phish",
        "?returnUrl=//evil.example",
        "#x",
        "/%2F%2Fevil.example",            // a decode away from "//evil.example"
        "/%2f/evil.example",
        "/%5Cevil.example",
        "/%5c%5cevil.example",
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%0d%0a/evil.example",
        "/%00",
        "/%252F%252Fevil.example",        // two decodes away
        "/%25252F%25252Fevil.example",    // three decodes away
        "/\0",
        "/x\u007F",
        "/x\u0085",                       // C1 control (NEL)
        "/x\u202E",                       // bidi override
        "/x\u200B",                       // zero-width space
        "/x\uFEFF",
        "/x\u2028",                       // line separator
        "/x\u2029",
        "/x%E2%80%AE",                    // encoded bidi override
        "/" + new string('a', LocalRedirectTarget.MaxLength),
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Unsafe_targets_fall_back_to_the_home_page(string? target)
    {
        Assert.False(LocalRedirectTarget.TryParse(target, out var local));
        Assert.Equal("/", local);
        Assert.Equal("/", LocalRedirectTarget.From(target));
    }

    /// <summary>Built at run time: theory data is serialised, which would turn an unpaired surrogate into U+FFFD.</summary>
    [Fact]
    public void Unpaired_surrogates_fall_back_to_the_home_page()
    {
        foreach (var target in new[] { "/x" + '\uD800', "/x" + '\uDC00' + "y", "/" + '\uDBFF' + '\uD800' })
        {
            Assert.False(LocalRedirectTarget.TryParse(target, out var local));
            Assert.Equal("/", local);
        }
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/prefectures/13", "/prefectures/13")]
    [InlineData("/municipalities/131016?saved=3&target=system%3Akoseki#edit-system-koseki", "/municipalities/131016?saved=3&target=system%3Akoseki#edit-system-koseki")]
    [InlineData("/prefectures/13?q=%E9%8E%8C&kind=ward", "/prefectures/13?q=%E9%8E%8C&kind=ward")]
    [InlineData("/prefectures/12?q=鎌ケ谷", "/prefectures/12?q=%E9%8E%8C%E3%82%B1%E8%B0%B7")]
    [InlineData("/a b", "/a%20b")]
    [InlineData("/x?next=https://evil.example", "/x?next=https://evil.example")] // a query value on this site
    [InlineData("/x/%2F%2Fy", "/x/%2F%2Fy")]                                        // not at the start
    [InlineData("/search?q=100%25", "/search?q=100%25")]
    [InlineData("/x?q=𠮷", "/x?q=%F0%A0%AE%B7")]                                    // a surrogate pair
    public void Local_targets_are_kept_and_encoded_for_the_location_header(string target, string expected)
    {
        Assert.True(LocalRedirectTarget.TryParse(target, out var local));
        Assert.Equal(expected, local);
        Assert.All(local, c => Assert.InRange(c, '!', '~'));
    }

    [Fact]
    public void Exactly_the_longest_target_is_accepted()
    {
        var longest = "/" + new string('a', LocalRedirectTarget.MaxLength - 1);
        Assert.Equal(longest, LocalRedirectTarget.From(longest));
    }

    /// <summary>
    /// Every string of up to 5 characters over the alphabet that makes open redirects (slashes, backslash, TAB, LF,
    /// CR, space, '%', hex digits of the encoded forms, ':' and letters): whatever is accepted, a browser reading it
    /// stays on the site, and the accepted form is a valid header value.
    /// </summary>
    [Fact]
    public void No_short_combination_leaves_the_site_as_a_browser_reads_it()
    {
        char[] alphabet = ['/', '\\', '\t', '\n', '\r', ' ', '%', '2', 'F', '5', 'C', '0', '9', ':', 'e'];
        var accepted = 0;
        var checkedCount = 0;
        foreach (var target in Strings(alphabet, 5))
        {
            checkedCount++;
            if (!LocalRedirectTarget.TryParse(target, out var local))
            {
                continue;
            }

            accepted++;
            Assert.All(local, c => Assert.InRange(c, '!', '~'));
            Assert.True(StaysOnSite(local), $"'{Escape(target)}' was accepted as '{local}', which a browser may read as another site");
        }

        Assert.True(checkedCount > 800_000, $"{checkedCount} strings checked");
        Assert.True(accepted > 1_000, $"{accepted} accepted: the check must not refuse everything");
    }

    /// <summary>A model of the browser (and of a proxy that decodes): strip TAB/LF/CR, "\" is "/", decode up to 3 times.</summary>
    private static bool StaysOnSite(string location)
    {
        var text = location;
        for (var round = 0; round <= 3; round++)
        {
            var read = text.Trim('\0', ' ').Replace("\t", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal)
                .Replace("\r", "", StringComparison.Ordinal).Replace('\\', '/');
            if (!read.StartsWith('/') || read.StartsWith("//", StringComparison.Ordinal))
            {
                return false;
            }

            text = Uri.UnescapeDataString(text);
        }

        return true;
    }

    private static IEnumerable<string> Strings(char[] alphabet, int maxLength)
    {
        var current = new List<string> { string.Empty };
        for (var length = 1; length <= maxLength; length++)
        {
            var next = new List<string>(current.Count * alphabet.Length);
            foreach (var prefix in current)
            {
                foreach (var c in alphabet)
                {
                    next.Add(prefix + c);
                }
            }

            foreach (var s in next)
            {
                yield return s;
            }

            current = next;
        }
    }

    private static string Escape(string text) => text.Replace("\t", "\\t", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
}

using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Readiness.Web.Api;

/// <summary>The result of evaluating conditional request headers against a resource's current entity tag.</summary>
public enum PreconditionOutcome
{
    /// <summary>No condition, or every condition holds: answer normally.</summary>
    Proceed,

    /// <summary>GET/HEAD with an If-None-Match that matches: 304 Not Modified.</summary>
    NotModified,

    /// <summary>If-Match does not match, or If-None-Match matches on a write: 412 Precondition Failed.</summary>
    Failed,

    /// <summary>A header that is not a list of entity tags (or "*"): 400.</summary>
    Malformed,
}

/// <summary>
/// A request's If-Match and If-None-Match as parsed once (<see cref="Preconditions.Conditions"/>): whether each is a
/// list of entity tags (false: malformed, 400), and its tags (null: "*"; empty: absent or only empty list members),
/// coded tags read as the tags they are made from.
/// </summary>
public sealed record RequestConditions(bool IfMatchValid, IReadOnlyList<EntityTagHeaderValue>? IfMatch, bool IfNoneMatchValid, IReadOnlyList<EntityTagHeaderValue>? IfNoneMatch)
{
    /// <summary>Both headers are lists of entity tags (or absent).</summary>
    public bool Valid => IfMatchValid && IfNoneMatchValid;
}

/// <summary>
/// Conditional requests per RFC 9110 §13, one implementation for every resource. Entity tags are opaque quoted
/// strings (parsed and compared by ASP.NET Core's <see cref="EntityTagHeaderValue"/>): If-Match uses the strong
/// comparison (a weak tag never matches; "00" is not "0"), If-None-Match the weak comparison (W/"0" matches "0");
/// both take a comma-separated list or "*". Evaluation order is §13.2.2: If-Match, then If-None-Match. A tag sent with a
/// content-coding ("12-gzip", "12-br": <see cref="CodedEntityTags"/>) matches as the tag it is made from.
/// </summary>
public static class Preconditions
{
    /// <summary>Cache-Control of a signed-in read with an ETag: the caller's own cache only, revalidated before each use.</summary>
    public const string RevalidateEachTime = "private, no-cache";

    /// <summary>A strong ETag that is a hash of <paramref name="content"/> (16 hex digits of its SHA-256), for representations without a version.</summary>
    public static string ContentETag(ReadOnlySpan<byte> content) =>
        $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16]}\"";

    /// <summary>A municipality's entity tag: its version as a strong tag, e.g. "12".</summary>
    public static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>A view's entity tag on a day its flags have turned since the version was made: "12-5be0c1a7" (<see cref="Views.DayETag"/>).</summary>
    public static string ETag(long version, string dayDigest) => $"\"{version.ToString(CultureInfo.InvariantCulture)}-{dayDigest}\"";

    /// <summary>
    /// The version an entity tag names: "12" or, from a view whose day-dependent flags have turned, "12-5be0c1a7" (8
    /// lowercase hex digits). -1 for anything else, including spellings <see cref="ETag(long)"/> never makes ("012", "+1").
    /// </summary>
    public static long VersionOf(StringSegment tag)
    {
        var inner = tag.AsSpan();
        if (inner.Length < 3 || inner[0] != '"' || inner[^1] != '"')
        {
            return -1;
        }

        inner = inner[1..^1];
        var dash = inner.IndexOf('-');
        if (dash >= 0)
        {
            var digest = inner[(dash + 1)..];
            if (digest.Length != 8 || digest.ContainsAnyExcept(LowerHex))
            {
                return -1;
            }

            inner = inner[..dash];
        }

        return inner.Length > 0 && !inner.ContainsAnyExcept(Digits) && (inner.Length == 1 || inner[0] != '0')
            && long.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;
    }

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");

    /// <summary>
    /// Parses a conditional header (all its field lines). <paramref name="tags"/> is null for "*", empty when the
    /// header is absent or lists only empty elements. False when any member is not an entity tag (or "*" is combined with tags).
    /// </summary>
    public static bool TryParse(StringValues header, out IReadOnlyList<EntityTagHeaderValue>? tags)
    {
        if (!TryParseAsSent(header, out tags))
        {
            return false;
        }

        // A tag read from a compressed answer ("12-gzip") names the same content as the tag it is made from.
        if (tags is { Count: > 0 })
        {
            tags = [.. tags.Select(CodedEntityTags.Uncoded)];
        }

        return true;
    }

    /// <summary>
    /// The request's If-Match and If-None-Match, parsed once (<see cref="TryParse"/>) and kept on the request for every
    /// later reading: the middleware that refuses a malformed one (<see cref="WriteConditions.Enforce"/>,
    /// <see cref="ConditionalHeaders.Enforce"/>) and the endpoint that compares them with its target's tag read the same
    /// parse (a breaker's finding, round 48: each write parsed both headers twice).
    /// </summary>
    public static RequestConditions Conditions(HttpContext http)
    {
        if (http.Features.Get<RequestConditions>() is { } parsed)
        {
            return parsed;
        }

        var headers = http.Request.Headers;
        var matchValid = TryParse(headers.IfMatch, out var match);
        var noneValid = TryParse(headers.IfNoneMatch, out var none);
        parsed = new RequestConditions(matchValid, match, noneValid, none);
        http.Features.Set(parsed);
        return parsed;
    }

    /// <summary>
    /// <see cref="TryParse"/> without reading coded tags as the tags they are made from: the tags as sent (for
    /// <see cref="CodedEntityTags"/>, which matches a coded tag only to the answer in its coding).
    /// </summary>
    public static bool TryParseAsSent(StringValues header, out IReadOnlyList<EntityTagHeaderValue>? tags)
    {
        // "If-Match: *" alone, the commonest form of a write that overrides, without a list (a write reads this on every request).
        if (header is [ "*" ])
        {
            tags = null;
            return true;
        }

        tags = [];
        if (header.Count == 0)
        {
            return true; // no header: no list made
        }

        // RFC 9110 §5.6.1.2: empty list elements are ignored, so a field of only commas ("If-None-Match: ,") names nothing.
        var lines = new List<string>(header.Count);
        foreach (var l in header)
        {
            if (!string.IsNullOrWhiteSpace(l) && l.AsSpan().ContainsAnyExcept(ListSeparators))
            {
                lines.Add(l);
            }
        }

        if (lines.Count == 0)
        {
            return true;
        }

        // The weak prefix is "W/", case-sensitive and followed at once by the quote (§8.8.3: entity-tag = [ weak ]
        // opaque-tag); ASP.NET Core's parser would take "w/" as weak too, and a space after "W/" (W/ "4").
        if (lines.Exists(HasMalformedWeakPrefix)
            || !EntityTagHeaderValue.TryParseStrictList(lines, out var parsed) || parsed.Count == 0
            || !parsed.All(IsEntityTag))
        {
            return false;
        }

        if (parsed.Any(t => t.Equals(EntityTagHeaderValue.Any)))
        {
            tags = null;
            return parsed.Count == 1;
        }

        tags = [.. parsed];
        return true;
    }

    /// <summary>
    /// RFC 9110 §8.8.3: opaque-tag = DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text. ASP.NET Core's parser reads
    /// a quoted-string, which also takes controls (ESC, TAB), spaces and backslash escapes of a quote (a breaker's
    /// finding: <c>If-Match: "1&lt;ESC&gt;"</c> was a tag that did not match, 412, not a malformed field, 400).
    /// </summary>
    private static bool IsEntityTag(EntityTagHeaderValue tag)
    {
        if (tag.Equals(EntityTagHeaderValue.Any))
        {
            return true;
        }

        var quoted = tag.Tag.AsSpan();
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"')
        {
            return false;
        }

        foreach (var c in quoted[1..^1])
        {
            if (!(c == '\x21' || c is >= '\x23' and <= '\x7E' || c >= '\x80'))
            {
                return false;
            }
        }

        return true;
    }

    private static readonly System.Buffers.SearchValues<char> ListSeparators = System.Buffers.SearchValues.Create(", \t");

    /// <summary>
    /// A list member beginning "w/", or "W/" not followed at once by its tag's quote ("W/ \"4\"", "W/\t\"4\""): at the
    /// start of the field or after a comma (outside quotes, as a tag cannot hold a comma unquoted).
    /// </summary>
    private static bool HasMalformedWeakPrefix(string line)
    {
        var quoted = false;
        var memberStart = true;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"')
            {
                quoted = !quoted;
                memberStart = false;
            }
            else if (!quoted && c == ',')
            {
                memberStart = true;
            }
            else if (!quoted && c is not (' ' or '\t'))
            {
                if (memberStart && c is 'w' or 'W' && i + 1 < line.Length && line[i + 1] == '/'
                    && (c == 'w' || i + 2 >= line.Length || line[i + 2] != '"'))
                {
                    return true;
                }

                memberStart = false;
            }
        }

        return false;
    }

    /// <summary>RFC 9110 §13.1.1: true when <paramref name="current"/> (a quoted tag; null: no current representation) satisfies If-Match.</summary>
    public static bool IfMatch(IReadOnlyList<EntityTagHeaderValue>? tags, string? current) =>
        tags is null
            ? current is not null
            : tags.Count == 0 || (current is not null && EntityTagHeaderValue.TryParse(current, out var c) && tags.Any(t => t.Compare(c, useStrongComparison: true)));

    /// <summary>RFC 9110 §13.1.2: true when If-None-Match matches (so the condition is false): "*" or any tag equal by the weak comparison.</summary>
    public static bool IfNoneMatchMatches(IReadOnlyList<EntityTagHeaderValue>? tags, string? current) =>
        tags is null
            ? current is not null
            : current is not null && EntityTagHeaderValue.TryParse(current, out var c) && tags.Any(t => t.Compare(c, useStrongComparison: false));

    /// <summary>Evaluates If-Match and If-None-Match (RFC 9110 §13.2.2) for a request with <paramref name="method"/> on a resource at <paramref name="current"/>.</summary>
    public static (PreconditionOutcome Outcome, string? Header) Evaluate(string method, StringValues ifMatch, StringValues ifNoneMatch, string? current) =>
        Evaluate(method, new RequestConditions(TryParse(ifMatch, out var matchTags), matchTags, TryParse(ifNoneMatch, out var noneTags), noneTags), current);

    /// <summary><see cref="Evaluate(string, StringValues, StringValues, string?)"/> on headers already parsed (<see cref="Conditions"/>).</summary>
    public static (PreconditionOutcome Outcome, string? Header) Evaluate(string method, RequestConditions conditions, string? current)
    {
        if (!conditions.IfMatchValid)
        {
            return (PreconditionOutcome.Malformed, HeaderNames.IfMatch);
        }

        if (!conditions.IfNoneMatchValid)
        {
            return (PreconditionOutcome.Malformed, HeaderNames.IfNoneMatch);
        }

        if (!IfMatch(conditions.IfMatch, current))
        {
            return (PreconditionOutcome.Failed, HeaderNames.IfMatch);
        }

        // An empty list (no header, or only commas) names nothing to match; null is "*".
        if (conditions.IfNoneMatch is not { Count: 0 } && IfNoneMatchMatches(conditions.IfNoneMatch, current))
        {
            return HttpMethods.IsGet(method) || HttpMethods.IsHead(method)
                ? (PreconditionOutcome.NotModified, HeaderNames.IfNoneMatch)
                : (PreconditionOutcome.Failed, HeaderNames.IfNoneMatch);
        }

        return (PreconditionOutcome.Proceed, null);
    }

    /// <summary>
    /// The versions that If-Match can match, for a write whose current version is checked atomically later (by the
    /// municipality grain): only strong tags spelled exactly as <see cref="ETag(long)"/> or <see cref="ETag(long, string)"/> spell a version
    /// ("00", "+1", W/"1" never match).
    /// </summary>
    public static IReadOnlyList<long> Versions(IReadOnlyList<EntityTagHeaderValue> tags) =>
        [.. tags.Where(t => !t.IsWeak)
            .Select(t => VersionOf(t.Tag))
            .Where(v => v >= 0)
            .Distinct()];

    /// <summary>
    /// If-Match on a write whose version the grain checks atomically (a municipality's, a prefecture's own systems): one
    /// reading for every such endpoint. Problem: 400 when malformed, 428 when <paramref name="required"/> and absent.
    /// <paramref name="versions"/>: null for "*" (the resource exists: no version check) or an absent optional header;
    /// otherwise the versions the tags name (<see cref="Versions"/>; empty when they name none, which never matches).
    /// </summary>
    public static ProblemHttpResult? ReadIfMatch(HttpContext http, bool required, out IReadOnlyList<long>? versions)
    {
        versions = null;
        var conditions = Conditions(http);
        if (!conditions.IfMatchValid)
        {
            return MalformedHeader(HeaderNames.IfMatch, http.Request.Headers.IfMatch);
        }

        var tags = conditions.IfMatch;

        if (tags is { Count: 0 } && required)
        {
            return Problems.Create(StatusCodes.Status428PreconditionRequired, "Precondition required", HeaderNames.IfMatch, "precondition_required",
                "If-Match ヘッダーに、取得した時点の ETag（例: \"12\"）を指定してください。", "Send If-Match with the ETag you read (e.g. \"12\"), so that nobody's change is overwritten unseen.");
        }

        versions = tags is { Count: > 0 } ? Versions(tags) : null;
        return null;
    }

    /// <summary>
    /// If-None-Match on a write to a resource that exists (RFC 9110 §13.1.2): one reading for every write with a version (a
    /// municipality's, a prefecture's own systems, a template applied, a scenario). Problem: 400 naming the header when malformed;
    /// 412 naming it, with the current ETag, when it is "*" or names the current version (weak comparison, any day's tag
    /// of the version). Null: absent (nothing read) or no tag matches. <paramref name="current"/> reads the version.
    /// </summary>
    public static Task<ProblemHttpResult?> IfNoneMatchOnWriteAsync(HttpContext http, Func<Task<long>> current) =>
        // No header (almost every write): nothing to read, no adapter made (issue 14's allocation per change).
        http.Request.Headers.IfNoneMatch.Count == 0 ? NoProblem : IfNoneMatchOnWriteAsync(http, async () => (long?)await current());

    private static readonly Task<ProblemHttpResult?> NoProblem = Task.FromResult<ProblemHttpResult?>(null);

    /// <summary>
    /// <see cref="IfNoneMatchOnWriteAsync(HttpContext, Func{Task{long}})"/> for a write whose target may not exist yet (a
    /// scenario created by name): <paramref name="current"/> is null when there is none, which no tag and not "*"
    /// matches (so <c>If-None-Match: *</c> makes a create that refuses to replace, RFC 9110 §13.1.2).
    /// </summary>
    public static async Task<ProblemHttpResult?> IfNoneMatchOnWriteAsync(HttpContext http, Func<Task<long?>> current)
    {
        var conditions = Conditions(http);
        if (!conditions.IfNoneMatchValid)
        {
            return MalformedHeader(HeaderNames.IfNoneMatch, http.Request.Headers.IfNoneMatch);
        }

        var tags = conditions.IfNoneMatch;

        if (tags is { Count: 0 })
        {
            return null;
        }

        if (await current() is not { } now)
        {
            return null;
        }

        if (tags is null || tags.Any(t => VersionOf(t.Tag) == now))
        {
            http.Response.Headers.ETag = ETag(now);
            return PreconditionFailed(HeaderNames.IfNoneMatch);
        }

        return null;
    }

    /// <summary>
    /// The version a write expects from <see cref="ReadIfMatch"/>'s <paramref name="versions"/>: null none, the one named,
    /// or -1 (never current: 412) when none is named; of several, the one that is <paramref name="current"/> (read only then).
    /// </summary>
    public static async Task<long?> ExpectedVersionAsync(IReadOnlyList<long>? versions, Func<Task<long>> current)
    {
        if (versions is null)
        {
            return null;
        }

        if (versions.Count <= 1)
        {
            return versions.Count == 1 ? versions[0] : -1;
        }

        var now = await current();
        return versions.Contains(now) ? now : -1;
    }

    /// <summary>
    /// For a GET/HEAD resource: sets the ETag and Cache-Control (<see cref="RevalidateEachTime"/> unless set; no-store on a
    /// refusal) and answers the conditions. Null: send the representation; otherwise the 304, 412 or 400 to send
    /// instead. Summaries, the municipality, its items, the exports, the template and the live payloads all call this.
    /// </summary>
    public static IResult? ForRead(HttpContext http, string etag)
    {
        var (outcome, header) = Evaluate(http.Request.Method, Conditions(http), etag);
        var headers = http.Response.Headers;

        // A request refused as malformed (400) names no representation, so it carries no ETag.
        if (outcome != PreconditionOutcome.Malformed)
        {
            headers.ETag = etag;
        }

        if (outcome is PreconditionOutcome.Malformed or PreconditionOutcome.Failed)
        {
            // A refusal is not the representation: no cache is to keep it as one.
            headers.CacheControl = "no-store";
        }
        else
        {
            // Signed-in data, kept by the caller's own cache only and checked with the ETag before each use (unless the
            // resource said otherwise); a 304 names the same Vary as the 200 it stands for (RFC 9110 §15.4.5), whose
            // body the response compression varies by Accept-Encoding.
            if (StringValues.IsNullOrEmpty(headers.CacheControl))
            {
                headers.CacheControl = RevalidateEachTime;
            }

            if (outcome == PreconditionOutcome.NotModified && !headers.Vary.Any(v => v?.Contains(HeaderNames.AcceptEncoding, StringComparison.OrdinalIgnoreCase) == true))
            {
                headers.Append(HeaderNames.Vary, HeaderNames.AcceptEncoding);
            }
        }

        return outcome switch
        {
            PreconditionOutcome.NotModified => TypedResults.StatusCode(StatusCodes.Status304NotModified),
            PreconditionOutcome.Failed => PreconditionFailed(http, header!, etag),
            PreconditionOutcome.Malformed => MalformedHeader(header!, http.Request.Headers[header!]),
            _ => null,
        };
    }

    /// <summary>
    /// 412 naming <paramref name="header"/> (code <c>precondition_failed</c>), nothing done. If-Match: the target changed
    /// since it was read; If-None-Match: the target exists ("*") or is at a tag the header names, which is what the
    /// sender asked not to act on (before round 47 it read as a stale If-Match, "it may have changed since you read it").
    /// </summary>
    public static ProblemHttpResult PreconditionFailed(string header) =>
        string.Equals(header, HeaderNames.IfNoneMatch, StringComparison.OrdinalIgnoreCase)
            ? Problems.Create(StatusCodes.Status412PreconditionFailed, "Precondition failed", header, "precondition_failed",
                "対象はすでに存在するか、If-None-Match に指定した ETag と一致するため、何も変更しませんでした（* は「存在しないときだけ」、ETag は「その版でないときだけ」の意味です）。",
                "The resource already exists, or matches an entity tag given in If-None-Match, so nothing was changed (* means only if it does not exist; a tag, only if it is not at that tag).")
            : Problems.Create(StatusCodes.Status412PreconditionFailed, "Precondition failed", header, "precondition_failed",
                $"{header} の条件が成り立ちません（読み取った後に、他の人か別の画面・プログラムから更新された可能性があります）。ETag を取得し直してください。",
                $"The {header} condition does not hold (it may have changed since you read it, by someone else or from another tab or program): read the ETag again.");

    /// <summary>
    /// <see cref="PreconditionFailed(string)"/> for a condition compared with <paramref name="current"/> (the target's tag):
    /// when the failing If-Match names no version of the target at all (<see cref="NamesNoVersion"/>: W/"0", a version
    /// tag sent to a content-tagged resource), the 412 says so (<see cref="NoVersionNamed"/>) rather than that the target
    /// changed since it was read (a breaker's finding, round 48).
    /// </summary>
    public static ProblemHttpResult PreconditionFailed(HttpContext http, string header, string current) =>
        string.Equals(header, HeaderNames.IfMatch, StringComparison.OrdinalIgnoreCase) && Conditions(http).IfMatch is { Count: > 0 } tags && NamesNoVersion(tags, current)
            ? NoVersionNamed(header, write: !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
            : PreconditionFailed(header);

    /// <summary>
    /// True when no tag in <paramref name="tags"/> could ever be a tag of a resource tagged as <paramref name="current"/>
    /// is: every one weak (the strong comparison never matches it), or not of its form (a version, "12" or "12-5be0c1a7",
    /// no higher than the current one, for a resource tagged by version; 16 lowercase hex digits, <see cref="ContentETag"/>, for one tagged by content).
    /// A tag of any other resource form counts as possibly naming one.
    /// </summary>
    public static bool NamesNoVersion(IReadOnlyList<EntityTagHeaderValue> tags, string current)
    {
        foreach (var tag in tags)
        {
            if (!tag.IsWeak && SameForm(tag.Tag, current))
            {
                return false;
            }
        }

        return tags.Count > 0;
    }

    private static bool SameForm(StringSegment tag, string current)
    {
        if (VersionOf(current) is var now and >= 0)
        {
            // A version above the current one was never reached (versions only grow): it names none.
            return VersionOf(tag) is var named and >= 0 && named <= now;
        }

        return !IsContentTag(current) || IsContentTag(tag);
    }

    private static bool IsContentTag(StringSegment tag) =>
        tag.Length == 18 && tag[0] == '"' && tag[17] == '"' && !tag.AsSpan(1, 16).ContainsAnyExcept(LowerHex);

    /// <summary>
    /// 412 <c>precondition_failed</c> naming <paramref name="header"/> for tags that name no version of the target (weak, or
    /// not its form of tag): such a condition could never hold, so the sender is told to send the tag the target's GET
    /// answers, not that someone changed it. "Nothing was changed" only for a <paramref name="write"/>: a GET changes
    /// nothing anyway (a download's 412 said it, a breaker found; <see cref="Components.Access.FormAnswers.ForMethod"/>).
    /// </summary>
    public static ProblemHttpResult NoVersionNamed(string header, bool write = true) =>
        Problems.Create(StatusCodes.Status412PreconditionFailed, "Precondition failed", header, "precondition_failed",
            $"{header} の ETag は、この対象のどの版も指していません（W/ 付きの弱い ETag、この対象の ETag の形でないもの、まだない版は一致しません）。対象を GET し、返された ETag をそのまま指定してください。" + (write ? "何も変更していません。" : string.Empty),
            $"The {header} entity tag names no version of this resource (a weak tag, W/\"…\", a tag not of this resource's form, or a version not reached yet never matches, RFC 9110 §13.1.1): GET it and send the ETag it answers exactly as received." + (write ? " Nothing was changed." : string.Empty));

    /// <summary>
    /// If-Match and If-None-Match on a write whose target has a version but no atomic check of it (a template preview:
    /// nothing is stored): 400 naming the header when malformed; 412 naming it with the current ETag when If-Match names
    /// no tag of the current version ("*" holds: the target exists) or If-None-Match is "*" or names it. Null: proceed.
    /// </summary>
    public static async Task<ProblemHttpResult?> OnVersionAsync(HttpContext http, Func<Task<long>> current)
    {
        if (ReadIfMatch(http, required: false, out var versions) is { } malformed)
        {
            return malformed;
        }

        long? known = null;
        async Task<long> Current() => known ??= await current();
        if (versions is not null && !versions.Contains(await Current()))
        {
            http.Response.Headers.ETag = ETag(await Current());
            var now = await Current();
            return versions.All(v => v > now) ? NoVersionNamed(HeaderNames.IfMatch) : PreconditionFailed(HeaderNames.IfMatch);
        }

        return await IfNoneMatchOnWriteAsync(http, Current);
    }

    /// <summary>
    /// 400 naming <paramref name="header"/> (code <c>invalid_if_match</c>, <c>invalid_if_none_match</c>); the value sent,
    /// when given, is quoted escaped (<see cref="Problems.Shown"/>: a control character is written as \u001B, never sent back as it came).
    /// </summary>
    public static ProblemHttpResult MalformedHeader(string header, StringValues sent = default)
    {
        var value = sent.ToString();
        var (shownJa, shownEn) = string.IsNullOrEmpty(value) ? (string.Empty, string.Empty) : ($"（「{Problems.Shown(value)}」は ETag の並びではありません）", $"; '{Problems.Shown(value)}' is not one");
        return Problems.BadRequest(header, "invalid_" + header.ToLowerInvariant().Replace('-', '_'),
            $"{header} は ETag（例: \"12\"、W/\"12\"。引用符の中は空白・制御文字を除く可視 ASCII）のカンマ区切りの並び、または * で指定してください{shownJa}。",
            $"{header} must be a comma-separated list of entity tags (e.g. \"12\", W/\"12\"; inside the quotes visible ASCII, no spaces or control characters) or *{shownEn}.");
    }
}

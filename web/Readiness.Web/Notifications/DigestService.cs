using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Notifications;

namespace Readiness.Web.Notifications;

/// <summary>
/// Digests: the weekly digest of each prefecture (one mail per prefecture staff member who wants it: its
/// municipalities with open issues now, and what changed since the last digest), and each person's daily/weekly
/// summary of the mails held for it. Called by the schedule grain's reminder; what was sent when is stored, and every
/// digest's id is derived from its prefecture (or person), period start and recipient, so running twice sends once
/// and a burst of any size makes one digest.
/// </summary>
public sealed class DigestService(
    NotificationStore store,
    NotificationRecipients recipients,
    NotificationMailer mailer,
    Readiness.Web.Api.MunicipalityRecords reads,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    NotificationDispatcher dispatcher,
    IGrainFactory grains,
    ILogger<DigestService> logger)
{
    /// <summary>Puts every due prefecture digest and personal summary into the outbox; returns how many.</summary>
    public async Task<int> RunDueDigestsAsync(CancellationToken cancellationToken)
    {
        if (!mailer.Configured)
        {
            return 0; // digests are mail; without SMTP the in-app list is the record
        }

        var count = 0;
        var now = time.GetUtcNow();
        foreach (var prefecture in ReadinessCatalog.Instance.Prefectures)
        {
            var last = await LastAsync($"digest:{prefecture.Code}", cancellationToken);
            if (last is null)
            {
                // The first check after installation starts the schedule; the first digest comes a period later.
                await store.SetStateAsync($"digest:{prefecture.Code}", now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                continue;
            }

            if (NotificationRules.DigestDue(last, now, NotificationFrequency.Weekly, options.Value.DigestDay, options.Value.DigestTime))
            {
                count += (await SendPrefectureDigestAsync(prefecture.Code, cancellationToken)).Recipients;
            }
        }

        count += await FoldHeldAsync(now, force: false, cancellationToken);
        if (count > 0)
        {
            dispatcher.Wake();
        }

        return count;
    }

    /// <summary>
    /// Puts the prefecture's digest into the outbox now for each of its staff who wants it (kind "digest", mail), covering
    /// the time since the last digest (a week on the first), and records now as the last digest. Returns the number of
    /// digest rows added (0 when no one wants it).
    /// </summary>
    public async Task<(int Recipients, int Municipalities)> SendPrefectureDigestAsync(string prefectureCode, CancellationToken cancellationToken)
    {
        var prefecture = ReadinessCatalog.Instance.PrefecturesByCode[prefectureCode];
        var now = time.GetUtcNow();
        var stateName = $"digest:{prefectureCode}";
        var since = await LastAsync(stateName, cancellationToken) ?? now.AddDays(-7);
        var preferences = await store.AllPreferencesAsync(null, cancellationToken);
        var staff = (await recipients.ListAsync(cancellationToken))
            .Where(r => r.Role == Role.Prefecture && r.Tenant == prefectureCode)
            .Where(r => (preferences.TryGetValue(r.Subject, out var mine) && mine.TryGetValue(NotificationKind.Digest, out var p) ? p : NotificationPreference.Default(NotificationKind.Digest)).Mail)
            .ToList();
        if (staff.Count == 0)
        {
            await store.SetStateAsync(stateName, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            return (0, 0);
        }

        var lines = await LinesAsync(prefectureCode, since, now, cancellationToken);
        var payload = new DigestPayload("digest", NotificationMessages.DigestSubject(prefecture.Name, since), prefecture.Name, prefectureCode, since, now, lines);
        var json = JsonSerializer.Serialize(payload, NotificationStore.Json);
        var added = 0;
        foreach (var person in staff)
        {
            var id = DigestId($"digest/{prefectureCode}/{since.ToUnixTimeMilliseconds()}", person.Subject);
            added += await store.InsertAsync(id, NotificationKind.Digest, NotificationChannel.Mail, person.Subject, person.Email, person.Language, prefectureCode, json, now) ? 1 : 0;
        }

        await store.SetStateAsync(stateName, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        logger.LogInformation("Weekly digest for {Prefecture}: {Municipalities} municipalities with open issues, {Recipients} recipients", prefectureCode, lines.Count, added);
        dispatcher.Wake();
        return (added, lines.Count);
    }

    /// <summary>
    /// The digest's lines: every municipality of the prefecture with an open issue now (regression, overdue, past
    /// target, beyond limit, designation incomplete: each municipality's own summary, read from its grain), with the
    /// events of [since, until) as "what changed". A municipality with changes but no open issue now is listed too.
    /// The prefecture's own systems (都道府県が実施する事務, keyed by its 団体コード) come first, on the same terms.
    /// </summary>
    public async Task<IReadOnlyList<NotificationMessages.DigestLine>> LinesAsync(string prefectureCode, DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var events = (await store.PrefectureEventsAsync(prefectureCode, since, until, cancellationToken))
            .Select(r => (Row: r, Event: r.Event))
            .Where(x => x.Event is not null)
            .DistinctBy(x => (x.Row.MunicipalityCode, x.Event!.Data.Version, x.Event.Data.BusinessId, x.Row.Kind))
            .GroupBy(x => x.Row.MunicipalityCode!)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var lines = new List<NotificationMessages.DigestLine>();
        void Add(string code, Figures figures)
        {
            var (ja, en) = OpenIssues(figures);
            events.TryGetValue(code, out var changes);
            if (ja.Count == 0 && changes is null)
            {
                return;
            }

            changes ??= [];
            lines.Add(new NotificationMessages.DigestLine(code, NotificationMessages.OrganisationName(code), ja, en,
                changes.Take(20).Select(c => NotificationMessages.Sentence(c.Row.Kind, c.Event!.Data).Ja).Append(changes.Count > 20 ? $"ほか{changes.Count - 20}件" : null).OfType<string>().ToList(),
                changes.Take(20).Select(c => NotificationMessages.Sentence(c.Row.Kind, c.Event!.Data).En).Append(changes.Count > 20 ? $"and {changes.Count - 20} more" : null).OfType<string>().ToList()));
        }

        // The prefecture's own systems: their figures count the reported systems only (PrefectureRunRules.Summarize).
        var own = await grains.GetGrain<IPrefectureRunGrain>(prefectureCode).GetSummaryAsync().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        Add(ReadinessCatalog.PrefectureBodyCode(prefectureCode), own.Figures);

        // A municipality whose stored state cannot be read is left out of the digest (one warning), the others listed.
        var read = await reads.ReadAsync(ReadinessCatalog.Instance.MunicipalitiesByPrefecture[prefectureCode], g => g.GetSummaryAsync(), cancellationToken);
        if (read.Unreadable.Count > 0)
        {
            logger.LogWarning("Digest for {Prefecture}: {Count} municipalities left out, their stored state cannot be read (restore them from a backup): {Codes}",
                prefectureCode, read.Unreadable.Count, string.Join(",", read.UnreadableCodes));
        }

        foreach (var (m, summary) in read.Readable)
        {
            Add(m.Code, summary.Figures);
        }

        return lines;
    }

    /// <summary>The open issues of a municipality's figures, as short phrases (Japanese, English); empty when none.</summary>
    public static (IReadOnlyList<string> Ja, IReadOnlyList<string> En) OpenIssues(Figures f)
    {
        var ja = new List<string>();
        var en = new List<string>();
        void Add(int n, string j, string e)
        {
            if (n > 0)
            {
                ja.Add($"{j} {n}件");
                en.Add($"{e}: {n}");
            }
        }

        Add(f.RegressionSystems, "フェーズ後退", "phase moved back");
        Add(f.OverdueSystems, "期限超過", "overdue");
        Add(f.PastTargetSystems, "特定移行支援システム目標超過", "designation past target");
        Add(f.BeyondLimitSystems, "特定移行支援システム上限超過", "designation beyond limit");
        Add(f.DesignationIncomplete, "特定移行支援システム未記入", "designation incomplete");
        return (ja, en);
    }

    /// <summary>
    /// Folds each person's held mails (daily/weekly choice, or over the per-hour limit) into one summary mail when that
    /// person's period is due (or now, with <paramref name="force"/>). Returns the number of summaries added.
    /// </summary>
    public async Task<int> FoldHeldAsync(DateTimeOffset now, bool force, CancellationToken cancellationToken)
    {
        var held = await store.HeldAsync(cancellationToken);
        if (held.Count == 0)
        {
            return 0;
        }

        var preferences = await store.AllPreferencesAsync(null, cancellationToken);
        var added = 0;
        foreach (var group in held.GroupBy(r => (r.Recipient, Frequency: Frequency(preferences, r.Recipient, r.Kind))))
        {
            var stateName = $"personal:{group.Key.Recipient}:{Wire.Name(group.Key.Frequency)}";
            var last = await LastAsync(stateName, cancellationToken);
            if (!force && last is null)
            {
                await store.SetStateAsync(stateName, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                continue;
            }

            if (!force && !NotificationRules.DigestDue(last, now, group.Key.Frequency, options.Value.DigestDay, options.Value.DigestTime))
            {
                continue;
            }

            var rows = group.ToList();
            var since = last ?? rows.Min(r => r.CreatedAt);
            var lines = rows.Where(r => r.Event is not null).GroupBy(r => r.MunicipalityCode!).Select(g =>
            {
                return new NotificationMessages.DigestLine(g.Key, NotificationMessages.OrganisationName(g.Key), [], [],
                    g.Select(r => NotificationMessages.Sentence(r.Kind, r.Event!.Data).Ja).ToList(),
                    g.Select(r => NotificationMessages.Sentence(r.Kind, r.Event!.Data).En).ToList());
            }).ToList();
            var title = group.Key.Frequency == NotificationFrequency.Weekly ? "週次まとめ / Weekly summary" : "日次まとめ / Daily summary";
            var payload = new DigestPayload("summary", $"【Readiness】{title}（{rows.Count}件）", title, null, since, now, lines);
            var id = DigestId($"summary/{group.Key.Recipient}/{string.Join(",", rows.Select(r => r.Id).Order(StringComparer.Ordinal))}", group.Key.Recipient);
            if (await store.FoldIntoDigestAsync(rows.Select(r => r.Id).ToList(), id, group.Key.Recipient, rows[0].Address, rows[0].Language, null,
                JsonSerializer.Serialize(payload, NotificationStore.Json), now))
            {
                added++;
            }

            await store.SetStateAsync(stateName, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        }

        return added;
    }

    private static NotificationFrequency Frequency(Dictionary<string, Dictionary<NotificationKind, NotificationPreference>> preferences, string subject, NotificationKind kind)
    {
        var f = preferences.TryGetValue(subject, out var mine) && mine.TryGetValue(kind, out var p) ? p.Frequency : NotificationFrequency.Immediately;
        return f == NotificationFrequency.Immediately ? NotificationFrequency.Daily : f; // held over the hourly limit: in the daily summary
    }

    private async Task<DateTimeOffset?> LastAsync(string name, CancellationToken cancellationToken) =>
        await store.GetStateAsync(name, cancellationToken) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture)) : null;

    private static string DigestId(string key, string recipient) =>
        "ntf_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\nmail\n{recipient}")).AsSpan(0, 16));
}

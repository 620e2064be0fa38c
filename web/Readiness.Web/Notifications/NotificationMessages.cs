using System.Net;
using System.Text;
using Readiness.Catalog;
using Readiness.Notifications;

namespace Readiness.Web.Notifications;

/// <summary>
/// The words of a notification, Japanese first with English below (one mail serves both: the recipient's language is
/// not known reliably), as plain text and as simple HTML readable on a phone. Pure.
/// </summary>
public static class NotificationMessages
{
    public static (string Ja, string En) KindLabel(NotificationKind kind) => kind switch
    {
        NotificationKind.Regression => ("フェーズの後退", "Phase moved back"),
        NotificationKind.Overdue => ("期限超過", "Overdue"),
        NotificationKind.PastTarget => ("特定移行支援システムの目標時期超過", "Designation past its target"),
        NotificationKind.BeyondLimit => ("特定移行支援システムの目標が上限超過", "Designation target beyond the limit"),
        NotificationKind.DesignationIncomplete => ("特定移行支援システムの理由・目標が未記入", "Designation without reason or target"),
        NotificationKind.StaleReminder => ("報告のお願い（21日間報告なし）", "Reminder: no report for 21 days"),
        NotificationKind.Stale => ("30日以上報告なし", "No report for 30 days (stale)"),
        NotificationKind.NationalThreshold => ("全国の指標がしきい値を超過", "National threshold crossed"),
        NotificationKind.ReconciliationDifferences => ("公式データとの差異（取込み後）", "Differences from the official data (after an import)"),
        _ => ("週次ダイジェスト", "Weekly digest"),
    };

    public static string PhaseJa(string? phase) =>
        ReadinessCatalog.Instance.Phases.FirstOrDefault(p => p.Id == phase)?.NameJa ?? phase ?? "—";

    public static string PhaseEn(string? phase) =>
        ReadinessCatalog.Instance.Phases.FirstOrDefault(p => p.Id == phase)?.NameEn ?? phase ?? "—";

    /// <summary>
    /// The subject line: "【Readiness】{prefecture}{municipality} {business}：{kind} / {kind in English}"; without a
    /// business (stale) "【Readiness】{prefecture}{municipality}：…"; national "【Readiness】全国：…".
    /// </summary>
    public static string Subject(NotificationKind kind, NotificationData d)
    {
        var (ja, en) = KindLabel(kind);
        return $"【Readiness】{Where(d)}：{ja} / {en}";
    }

    /// <summary>What an event is about, in Japanese: "東京都千代田区 戸籍", "東京都千代田区" or "全国".</summary>
    public static string Where(NotificationData d) =>
        d.MunicipalityName.Length == 0 ? "全国" : d.BusinessNameJa is null ? WhoJa(d) : $"{WhoJa(d)} {d.BusinessNameJa}";

    /// <summary>
    /// Whether the event is about a prefecture's own systems (都道府県が実施する事務): keyed by the prefecture's own
    /// 団体コード (北海道 010006), not a municipality's.
    /// </summary>
    public static bool IsPrefectureOwn(string? code) => ReadinessCatalog.Instance.TryPrefectureOfBodyCode(code, out _);

    /// <summary>
    /// The page of an event's organisation, as a site path: the prefecture's page (its own systems are there) for a
    /// prefecture's 団体コード, the municipality's page for a municipality, the overview for a national event.
    /// </summary>
    public static string PagePath(string? code) =>
        string.IsNullOrEmpty(code) ? "/"
        : ReadinessCatalog.Instance.TryPrefectureOfBodyCode(code, out var prefecture) ? $"/prefectures/{prefecture.Code}"
        : $"/municipalities/{code}";

    /// <summary>The name a digest line gives an organisation: the municipality's, or "北海道（都道府県が実施する事務）" for a prefecture's own systems.</summary>
    public static string OrganisationName(string code) =>
        ReadinessCatalog.Instance.TryPrefectureOfBodyCode(code, out var prefecture) ? $"{prefecture.Name}（都道府県が実施する事務）"
        : ReadinessCatalog.Instance.MunicipalitiesByCode.TryGetValue(code, out var m) ? m.Name : code;

    /// <summary>Who an event is about in Japanese: "東京都千代田区", or "北海道（都道府県が実施する事務）" for a prefecture's own systems.</summary>
    private static string WhoJa(NotificationData d) =>
        IsPrefectureOwn(d.MunicipalityCode) ? $"{d.PrefectureName}（都道府県が実施する事務）" : $"{d.PrefectureName}{d.MunicipalityName}";

    /// <summary>
    /// Who an event is about in English: "千代田区 (Tokyo)", or "Hokkaido (run by the prefecture)". Prefectures have English
    /// names in the catalog; municipalities have none in the official data, so theirs stays Japanese.
    /// </summary>
    private static string WhoEn(NotificationData d)
    {
        var prefecture = ReadinessCatalog.Instance.PrefecturesByCode.TryGetValue(d.PrefectureCode, out var p) ? p.NameEn : d.PrefectureName;
        return IsPrefectureOwn(d.MunicipalityCode) ? $"{prefecture} (run by the prefecture)" : $"{d.MunicipalityName} ({prefecture})";
    }

    private static string Day(DateTimeOffset? at) => at is { } a ? a.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "—";

    /// <summary>A national measure's value as people read it: a share in per cent, a count with thousands separators.</summary>
    public static string Figure(string? measure, double? value) => measure == "migrated_share"
        ? ((value ?? 0) * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%"
        : (value ?? 0).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    private static (string Ja, string En) MeasureName(string? measure) => measure switch
    {
        "migrated_share" => ("全国の移行済みシステムの割合", "The national share of systems migrated"),
        "overdue_systems" => ("全国の期限超過システム数", "The number of overdue systems nationwide"),
        _ => (measure ?? "—", measure ?? "—"),
    };

    /// <summary>One sentence per language saying what happened.</summary>
    public static (string Ja, string En) Sentence(NotificationKind kind, NotificationData d) => kind switch
    {
        NotificationKind.Regression => (
            $"{WhoJa(d)}の「{d.BusinessNameJa}」のフェーズが「{PhaseJa(d.PhaseBefore)}」から「{PhaseJa(d.PhaseAfter)}」に戻りました。理由：{d.Reason ?? "（記入なし）"}",
            $"{WhoEn(d)} moved {d.BusinessNameEn} back from \"{PhaseEn(d.PhaseBefore)}\" to \"{PhaseEn(d.PhaseAfter)}\". Reason: {d.Reason ?? "(none given)"}"),
        NotificationKind.Overdue => (
            $"{WhoJa(d)}の「{d.BusinessNameJa}」が期限を過ぎても移行していません（現在：{PhaseJa(d.PhaseAfter)}）。",
            $"{d.BusinessNameEn} of {WhoEn(d)} is overdue (now: {PhaseEn(d.PhaseAfter)})."),
        NotificationKind.PastTarget => (
            $"{WhoJa(d)}の「{d.BusinessNameJa}」（特定移行支援システム）の移行目標時期が過ぎています。",
            $"The target date of {d.BusinessNameEn} of {WhoEn(d)}, a designated system, has passed."),
        NotificationKind.BeyondLimit => (
            $"{WhoJa(d)}の「{d.BusinessNameJa}」（特定移行支援システム）の移行目標時期が上限（2030年度末）を超えています。",
            $"The target date of {d.BusinessNameEn} of {WhoEn(d)}, a designated system, is beyond the limit (end of FY2030)."),
        NotificationKind.StaleReminder => (
            $"{WhoJa(d)}の最後の報告（{Day(d.LastReportedAt)}）から{d.Days}日が過ぎました。30日を過ぎると「報告が古い」団体として都道府県に通知されます。現在の状況を報告してください。",
            $"{WhoEn(d)} last reported on {Day(d.LastReportedAt)}, {d.Days} days ago. After 30 days it is shown as stale and its prefecture is told. Please report the current status."),
        NotificationKind.Stale => (
            $"{WhoJa(d)}から30日以上報告がありません（最後の報告：{Day(d.LastReportedAt)}、{d.Days}日前）。",
            $"{WhoEn(d)} has not reported for more than 30 days (last report: {Day(d.LastReportedAt)}, {d.Days} days ago)."),
        NotificationKind.NationalThreshold => (
            $"{MeasureName(d.Measure).Ja}が{Figure(d.Measure, d.Threshold)}に達しました（現在 {Figure(d.Measure, d.Value)}）。",
            $"{MeasureName(d.Measure).En} reached {Figure(d.Measure, d.Threshold)} (now {Figure(d.Measure, d.Value)})."),
        NotificationKind.ReconciliationDifferences => (
            $"公式データの取込み後、{WhoJa(d)}の報告と公式データに差異があります（{d.Reason}）。突合一覧（/reconciliation）で確認してください。",
            $"After an official import, the reports of {WhoEn(d)} differ from the official data ({d.Reason}). See the reconciliation list (/reconciliation)."),
        _ => (
            $"{WhoJa(d)}の「{d.BusinessNameJa}」（特定移行支援システム）に該当理由または移行目標時期がありません。",
            $"{d.BusinessNameEn} of {WhoEn(d)}, a designated system, has no reason or target date."),
    };

    public static string EventText(NotificationKind kind, NotificationData d, Uri page, Uri unsubscribe)
    {
        var (ja, en) = Sentence(kind, d);
        return $"""
            {ja}

            詳しくはこちら：{page}
            この種類の通知を停止する（サインイン不要）：{unsubscribe}

            ---
            {en}

            Details: {page}
            Stop this kind of notification (no sign-in needed): {unsubscribe}
            """;
    }

    public static string EventHtml(NotificationKind kind, NotificationData d, Uri page, Uri unsubscribe)
    {
        var (ja, en) = Sentence(kind, d);
        var (kindJa, kindEn) = KindLabel(kind);
        return Page($"""
            <h1 style="font-size:18px">{E(kindJa)}</h1>
            <p>{E(ja)}</p>
            <p><a href="{E(page.ToString())}">詳しく見る</a></p>
            <hr>
            <h2 style="font-size:16px" lang="en">{E(kindEn)}</h2>
            <p lang="en">{E(en)}</p>
            <p lang="en"><a href="{E(page.ToString())}">Details</a></p>
            <p style="font-size:12px;color:#555"><a href="{E(unsubscribe.ToString())}">この種類の通知を停止 / Stop this kind of notification</a></p>
            """);
    }

    /// <summary>One municipality's line in a digest: its open issues now and what changed since the last digest.</summary>
    public sealed record DigestLine(string MunicipalityCode, string MunicipalityName, IReadOnlyList<string> OpenIssuesJa, IReadOnlyList<string> OpenIssuesEn, IReadOnlyList<string> ChangesJa, IReadOnlyList<string> ChangesEn);

    public static string DigestSubject(string prefectureName, DateTimeOffset periodStart) =>
        $"【Readiness】{prefectureName} 週次ダイジェスト（{periodStart.ToOffset(TimeSpan.FromHours(9)):yyyy-MM-dd}） / Weekly digest";

    public static string DigestText(string prefectureName, IReadOnlyList<DigestLine> lines, Uri page, Uri unsubscribe)
    {
        var text = new StringBuilder();
        text.AppendLine($"{prefectureName}の課題のある市区町村：{lines.Count}団体");
        foreach (var l in lines)
        {
            text.AppendLine($"■ {l.MunicipalityName}（{l.MunicipalityCode}）");
            foreach (var i in l.OpenIssuesJa)
            {
                text.AppendLine($"  ・{i}");
            }

            foreach (var c in l.ChangesJa)
            {
                text.AppendLine($"  ＋前回以降：{c}");
            }
        }

        text.AppendLine();
        text.AppendLine($"一覧：{page}");
        text.AppendLine($"ダイジェストを停止する（サインイン不要）：{unsubscribe}");
        text.AppendLine();
        text.AppendLine("---");
        text.AppendLine($"Municipalities of {prefectureName} with open issues: {lines.Count}");
        foreach (var l in lines)
        {
            text.AppendLine($"* {l.MunicipalityName} ({l.MunicipalityCode})");
            foreach (var i in l.OpenIssuesEn)
            {
                text.AppendLine($"  - {i}");
            }

            foreach (var c in l.ChangesEn)
            {
                text.AppendLine($"  + since the last digest: {c}");
            }
        }

        text.AppendLine($"List: {page}");
        text.AppendLine($"Stop the digest (no sign-in needed): {unsubscribe}");
        return text.ToString();
    }

    public static string DigestHtml(string prefectureName, IReadOnlyList<DigestLine> lines, Uri page, Uri unsubscribe)
    {
        var html = new StringBuilder();
        html.Append($"<h1 style=\"font-size:18px\">{E(prefectureName)} 週次ダイジェスト <span lang=\"en\" style=\"font-size:14px\">Weekly digest</span></h1>");
        html.Append($"<p>課題のある市区町村 / Municipalities with open issues: <strong>{lines.Count}</strong></p><ul style=\"padding-left:18px\">");
        foreach (var l in lines)
        {
            html.Append($"<li data-municipality=\"{E(l.MunicipalityCode)}\"><strong>{E(l.MunicipalityName)}</strong>（{E(l.MunicipalityCode)}）<ul>");
            for (var i = 0; i < l.OpenIssuesJa.Count; i++)
            {
                html.Append($"<li>{E(l.OpenIssuesJa[i])} <span lang=\"en\" style=\"color:#555\">{E(l.OpenIssuesEn[i])}</span></li>");
            }

            for (var i = 0; i < l.ChangesJa.Count; i++)
            {
                html.Append($"<li>前回以降 / since last: {E(l.ChangesJa[i])} <span lang=\"en\" style=\"color:#555\">{E(l.ChangesEn[i])}</span></li>");
            }

            html.Append("</ul></li>");
        }

        html.Append($"</ul><p><a href=\"{E(page.ToString())}\">一覧を開く / Open the list</a></p>");
        html.Append($"<p style=\"font-size:12px;color:#555\"><a href=\"{E(unsubscribe.ToString())}\">ダイジェストを停止 / Stop the digest</a></p>");
        return Page(html.ToString());
    }

    private static string Page(string body) =>
        $"""<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="font-family:sans-serif;max-width:600px;margin:0 auto;padding:12px;line-height:1.6">{body}</body></html>""";

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}

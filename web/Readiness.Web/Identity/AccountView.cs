using Readiness.Catalog;

namespace Readiness.Web.Identity;

/// <summary>Display helpers of the account pages.</summary>
public static class AccountView
{
    public static string TenantName(string tenant, bool english)
    {
        var catalog = ReadinessCatalog.Instance;
        if (catalog.MunicipalitiesByCode.TryGetValue(tenant, out var m))
        {
            return $"{m.Name}（{tenant}）";
        }

        return catalog.PrefecturesByCode.TryGetValue(tenant, out var p) ? english ? $"{p.NameEn} ({tenant})" : $"{p.Name}（{tenant}）" : tenant;
    }

    public static string When(DateTime? utc) => utc is { } u ? Components.UiText.DateTimeJst(new DateTimeOffset(DateTime.SpecifyKind(u, DateTimeKind.Utc))) : "—";

    /// <summary>
    /// A lockout's state in both languages: 「ロック中（〜 13:05 JST まで）」 / "Locked out until 13:05 JST"; the date too
    /// ("2026/12/07 13:05 JST") when the lockout ends on another day in Japan than <paramref name="now"/>.
    /// </summary>
    public static (string Ja, string En) LockedOut(DateTimeOffset until, DateTimeOffset now)
    {
        var jst = TimeSpan.FromHours(9);
        var end = until.ToOffset(jst);
        var when = end.Date == now.ToOffset(jst).Date
            ? end.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " JST"
            : Components.UiText.DateTimeJst(until);
        return ($"ロック中（〜 {when} まで）", $"Locked out until {when}");
    }

    /// <summary>The otpauth URI authenticator apps read (Google's Key Uri Format), as text and for a QR code.</summary>
    public static string OtpAuthUri(string email, string key) =>
        $"otpauth://totp/{Uri.EscapeDataString("Readiness:" + email)}?secret={key}&issuer=Readiness&digits=6&period=30";

    /// <summary>The key in groups of four for typing.</summary>
    public static string Grouped(string key) => string.Join(' ', key.Chunk(4).Select(c => new string(c)));
}

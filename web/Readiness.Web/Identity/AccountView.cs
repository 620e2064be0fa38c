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

    /// <summary>The otpauth URI authenticator apps read (Google's Key Uri Format), as text and for a QR code.</summary>
    public static string OtpAuthUri(string email, string key) =>
        $"otpauth://totp/{Uri.EscapeDataString("Readiness:" + email)}?secret={key}&issuer=Readiness&digits=6&period=30";

    /// <summary>The key in groups of four for typing.</summary>
    public static string Grouped(string key) => string.Join(' ', key.Chunk(4).Select(c => new string(c)));
}

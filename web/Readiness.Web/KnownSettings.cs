using Readiness.Hosting;

namespace Readiness.Web;

/// <summary>The settings the web process knows: its own options types and the hosting ones (it co-hosts a silo when embedded).</summary>
public static class KnownSettings
{
    /// <summary>Every "Readiness" name the web process binds or reads (see <see cref="SettingNames.From"/>).</summary>
    public static SettingNames Web() => SettingNames.From(typeof(KnownSettings).Assembly, typeof(ReadinessOptions).Assembly);
}

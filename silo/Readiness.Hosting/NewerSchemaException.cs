namespace Readiness.Hosting;

/// <summary>
/// The database was migrated by a newer version of the product than this one: it must not run on it (from SQLite schema
/// 8 on, states are stored compressed, which an older build would misread). The hosts print the message and exit 1
/// instead of crashing with a stack trace; a backup of such a database is refused for restore.
/// </summary>
public sealed class NewerSchemaException(string message) : InvalidOperationException(message)
{
    /// <summary>
    /// Throws when a <paramref name="recorded"/> schema version is beyond <paramref name="known"/>, this build's last
    /// script (SqliteSchema, PostgresSchema, the backup's validation).
    /// </summary>
    /// <exception cref="NewerSchemaException">A recorded version is above <paramref name="known"/>.</exception>
    public static void ThrowIfNewer(IEnumerable<int> recorded, int known, string what)
    {
        var newest = recorded.DefaultIfEmpty(0).Max();
        if (newest > known)
        {
            throw new NewerSchemaException(StartRefusal.Say(
                FormattableString.Invariant($"{what} (schema {newest})"),
                FormattableString.Invariant($"新しい版の Readiness で移行されています（スキーマ版 {newest}、この版は {known} まで）。その版以降で動かすか、移行前のバックアップを復元してください（deploy/README.md）"),
                FormattableString.Invariant($"This {what} was migrated by a newer version of Readiness (schema version {newest}; this version knows up to {known}). ")
                + "Run that version or a later one, or restore a backup taken before the upgrade (deploy/README.md)."));
        }
    }
}

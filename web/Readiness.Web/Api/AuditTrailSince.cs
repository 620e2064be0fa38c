using System.Collections.Immutable;
using Readiness.Grains;
using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>The audit trail's entries after a version, as a refused or reapplied save reads them (who changed what since the form was opened).</summary>
public static class AuditTrailSince
{
    /// <summary>More entries than this since a submission's version (some 150 whole reports): too old to merge.</summary>
    private const int MaxEntriesSince = 10_000;

    /// <summary>
    /// The entries kept under <paramref name="code"/> (a municipality's code, or a prefecture's 6-digit 団体コード for its
    /// own systems) with a version above <paramref name="afterVersion"/> up to <paramref name="upToVersion"/>, newest
    /// first; null when there are more than <see cref="MaxEntriesSince"/> (the caller then cannot say who or what).
    /// </summary>
    public static async Task<ImmutableArray<ChangeEntry>?> ChangesSinceAsync(this IAuditLog audit, string code, long afterVersion, long upToVersion, CancellationToken cancellationToken)
    {
        var entries = ImmutableArray.CreateBuilder<ChangeEntry>();
        AuditCursor? cursor = null;
        while (true)
        {
            var page = await audit.ReadAsync(code, upToVersion, cursor, 500, cancellationToken);
            foreach (var e in page.Entries)
            {
                if (e.Version <= afterVersion)
                {
                    return entries.ToImmutable();
                }

                entries.Add(e);
            }

            if (page.Next is null)
            {
                return entries.ToImmutable();
            }

            if (entries.Count > MaxEntriesSince)
            {
                return null;
            }

            cursor = page.Next;
        }
    }
}

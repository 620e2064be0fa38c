using Readiness.Imports;
using Xunit;

namespace Readiness.Tests.Imports;

/// <summary>
/// Every member a system or checklist change can carry is either a column of the reporting template or has a rule of
/// its own there (breaker's finding: cloudProvider, added after the template, was sent as null by every apply).
/// </summary>
public class TemplateMembersTests
{
    [Fact]
    public void Every_system_member_has_a_column_or_a_rule_and_every_checklist_member_a_column()
    {
        var systemColumns = ReportingTemplate.SystemColumns.Select(c => c.Field).OfType<string>().ToHashSet(StringComparer.Ordinal);
        Assert.Empty(SystemChange.Members.Where(m => !systemColumns.Contains(m) && !ReportingTemplate.SystemMembersWithoutColumn.Contains(m)));
        Assert.Empty(ReportingTemplate.SystemMembersWithoutColumn.Where(systemColumns.Contains));
        var securityColumns = ReportingTemplate.SecurityColumns.Select(c => c.Field).OfType<string>().ToHashSet(StringComparer.Ordinal);
        Assert.Empty(SecurityChange.Members.Where(m => !securityColumns.Contains(m)));
    }
}

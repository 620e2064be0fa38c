using System.Net;
using Readiness.Imports;
using Readiness.Testing;
using Readiness.Web.Imports;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The reporting template's header row says each column in Japanese with the English under it (a breaker's finding:
/// it was Japanese only), and a template downloaded before, with the Japanese header, is still taken: people fill
/// them in offline for days. Real host.
/// </summary>
public sealed class TemplateHeaderTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131067"; // 台東区

    private static readonly (string Sheet, string Cell, string Ja, string En)[] Headers =
    [
        .. ReportingTemplate.SystemColumns.Select(c => (ReportingTemplate.SystemsSheet, $"{c.Column}{ReportingTemplate.HeaderRow}", c.HeaderJa, c.HeaderEn)),
        .. ReportingTemplate.SecurityColumns.Select(c => (ReportingTemplate.SecuritySheet, $"{c.Column}{ReportingTemplate.HeaderRow}", c.HeaderJa, c.HeaderEn)),
    ];

    [Fact]
    public async Task The_header_is_japanese_with_english_under_it_and_a_template_with_the_earlier_header_is_still_taken()
    {
        using var client = host.Municipality(M);
        var template = await TemplateRequests.DownloadAsync(client, M);
        var (sheets, error) = ReportingWorkbook.Read(template);
        Assert.Null(error);
        foreach (var (sheet, cell, ja, en) in Headers)
        {
            Assert.Equal($"{ja}\n{en}", sheets![sheet][cell]);
        }

        // A row the rules take as it stands (the baseline has designations without their reason).
        var systems = (await host.GetMunicipality(M)).Body.GetProperty("systems").EnumerateArray().ToList();
        var index = systems.FindIndex(s => !s.GetProperty("designated").GetBoolean() && !s.GetProperty("regression").GetBoolean());
        var vendor = $"E{ReportingTemplate.FirstRow + index}";
        async Task<string?> Vendor() => (await host.GetMunicipality(M)).Body.GetProperty("systems")[index].GetProperty("vendor").GetString();

        // Downloaded before this change: the header Japanese only.
        var earlier = TemplateCells.Edit(template, [.. Headers.Select(h => (h.Sheet, h.Cell, (object?)h.Ja)), (ReportingTemplate.SystemsSheet, vendor, "株式会社旧ひな形")]);
        using (var applied = await TemplateRequests.PostAsync(client, M, "apply", earlier))
        {
            Assert.True(applied.StatusCode == HttpStatusCode.OK, await applied.Content.ReadAsStringAsync());
        }

        Assert.Equal("株式会社旧ひな形", await Vendor());

        // Downloaded now, bilingual.
        var now = TemplateCells.Edit(await TemplateRequests.DownloadAsync(client, M), (ReportingTemplate.SystemsSheet, vendor, "株式会社新ひな形"));
        using (var applied = await TemplateRequests.PostAsync(client, M, "apply", now))
        {
            Assert.True(applied.StatusCode == HttpStatusCode.OK, await applied.Content.ReadAsStringAsync());
        }

        Assert.Equal("株式会社新ひな形", await Vendor());
    }
}

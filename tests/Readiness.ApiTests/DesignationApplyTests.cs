using System.Net;
using System.Text.Json;
using Readiness.Catalog;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The page asks for the confirmation the apply asks for. The box was shown only when the upload's preview warned, but
/// the apply compares with the designations held now: a list that took nothing away when uploaded and would take most
/// away by the time it is applied was answered 422 with no box and no words, for ever (breaker, round 50).
/// </summary>
public sealed class DesignationApplyPageTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Chiyoda = "131016";
    private const string Sapporo = "011002";

    [Fact]
    public async Task A_list_that_needs_a_confirmation_only_by_the_time_it_is_applied_shows_the_box_and_why()
    {
        var designated = ReadinessCatalog.Instance.BaselineDesignations.Where(d => d.Value.Count > 0).Select(d => d.Key).Order(StringComparer.Ordinal).ToList();
        using var national = host.National();
        // Two municipalities' extract, confirmed; the same extract a month later uploads against that: nothing to take away.
        var march = await PartialDesignationListTests.UploadAsync(national, [Chiyoda, Sapporo], asOf: "令和8年3月末時点");
        using (var applied = await national.PostAsync(new Uri($"/api/v1/imports/{march}/apply?confirm=partial_list", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        }

        var april = await PartialDesignationListTests.UploadAsync(national, [Chiyoda, Sapporo], asOf: "令和8年4月末時点");
        // The whole list (of a day between) comes back before the April extract is applied.
        var whole = await PartialDesignationListTests.UploadAsync(national, designated, asOf: "令和8年4月15日時点");
        using (var applied = await national.PostAsync(new Uri($"/api/v1/imports/{whole}/apply", UriKind.Relative), null))
        {
            Assert.True(applied.StatusCode == HttpStatusCode.OK, await applied.Content.ReadAsStringAsync());
        }

        using var person = await FormSession.SignInNationalAsync(host);
        var page = await person.PageAsync($"imports/{april}");
        Assert.DoesNotContain("name=\"confirm\"", page, StringComparison.Ordinal); // the upload's preview asked for none
        var action = $"/imports/{april}/apply";
        using (var refused = await person.SubmitAsync(page, action))
        {
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains("name=\"confirm\" value=\"partial_list\" required", html, StringComparison.Ordinal);
            Assert.Contains("data-field-error=\"confirm\"", html, StringComparison.Ordinal);
            Assert.Contains("data-warning-now=\"partial_list\"", html, StringComparison.Ordinal);
            Assert.Contains("一覧が挙げる市区町村は 2、", html, StringComparison.Ordinal);
        }

        Assert.True(await PartialDesignationListTests.DesignatedAsync(host, designated.First(c => c is not Chiyoda and not Sapporo)));
        var token = FormSession.Hidden(page, action, "__RequestVerificationToken");
        using var request = new HttpRequestMessage(HttpMethod.Post, action)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["confirm"] = "partial_list" }),
        };
        using var ticked = await person.SendAsync(request);
        Assert.Equal(HttpStatusCode.SeeOther, ticked.StatusCode);
        Assert.False(await PartialDesignationListTests.DesignatedAsync(host, designated.First(c => c is not Chiyoda and not Sapporo)));
    }
}

/// <summary>
/// Applies are one at a time, each compared with what the one before left. Two lists of one day, each taking away a
/// part that alone needs no confirmation, were applied at once: both passed the comparison against the figures before
/// the other and together took 80 % of the designations away unasked (breaker, round 50).
/// </summary>
public sealed class SimultaneousDesignationApplyTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Two_lists_applied_at_once_are_compared_one_after_the_other()
    {
        var catalog = ReadinessCatalog.Instance;
        var designated = catalog.BaselineDesignations.Where(d => d.Value.Count > 0).Select(d => d.Key).Order(StringComparer.Ordinal).ToList();
        // Each list leaves out its own set of municipalities holding ~23 % of the designated systems: alone, under the
        // quarter that asks for a confirmation; the second after the first, ~30 % of what is left.
        var total = designated.Sum(c => catalog.BaselineDesignations[c].Count);
        var (north, south) = Split(designated, total);
        using var national = host.National();
        var a = await PartialDesignationListTests.UploadAsync(national, [.. designated.Where(c => !north.Contains(c))], asOf: "令和8年5月末時点");
        var b = await PartialDesignationListTests.UploadAsync(national, [.. designated.Where(c => !south.Contains(c))], asOf: "令和8年5月末時点");
        foreach (var id in new[] { a, b })
        {
            using var get = await national.GetAsync(new Uri($"/api/v1/imports/{id}", UriKind.Relative));
            var view = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
            Assert.DoesNotContain(view.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "partial_list");
        }

        var answers = await Task.WhenAll(new[] { a, b }.Select(id => national.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null)));
        try
        {
            var statuses = answers.Select(r => r.StatusCode).Order().ToList();
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], statuses);
        }
        finally
        {
            foreach (var r in answers)
            {
                r.Dispose();
            }
        }
    }

    /// <summary>Two disjoint sets of municipalities, each holding at most (and close to) 23 % of the designated systems.</summary>
    private static (HashSet<string> North, HashSet<string> South) Split(List<string> designated, int total)
    {
        var catalog = ReadinessCatalog.Instance;
        HashSet<string> north = [], south = [];
        int n = 0, s = 0;
        foreach (var code in designated)
        {
            var count = catalog.BaselineDesignations[code].Count;
            if ((n + count) * 100 <= total * 23)
            {
                north.Add(code);
                n += count;
            }
            else if ((s + count) * 100 <= total * 23)
            {
                south.Add(code);
                s += count;
            }
        }

        return (north, south);
    }
}

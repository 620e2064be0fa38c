using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Web.Auth;
using Readiness.Imports;
using Readiness.Web.Api.OpenApi;

namespace Readiness.Web.Api;

public sealed record DailySnapshotView(string Day, NationView Nation);

public sealed record NationHistoryView(string From, string To, IReadOnlyList<DailySnapshotView> Days);

/// <summary>GET /api/v1/nation/history: the nation's daily snapshots (each with its 47 prefectures), for trend charts.</summary>
public static class HistoryApi
{
    public const int DefaultDays = 30;
    public const int MaxDays = 366;

    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/nation/history", GetHistory).AnswersConditionalRequests().RequireAuthorization(ReadinessPolicies.Summaries).RequireRateLimiting(RateLimits.ReadsPolicy)
            .WithTags("Summaries")
            .Produces<NationHistoryView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("The nation's daily snapshots, oldest first: ?from=&to= (YYYY-MM-DD, Japan dates; default the last 30 days, at most 366)");
        return app;
    }

    private static async Task<IResult> GetHistory(
        string? from, string? to, IGrainFactory grains, GrainCalls calls, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        if (!TryParseDay(to, today, out var last))
        {
            return Problems.BadRequest("to", $"「{to}」は日付ではありません（YYYY-MM-DD）。", $"'{to}' is not a date (YYYY-MM-DD).");
        }

        // The default period ends at the calendar's start for a 'to' in its first days (AddDays would throw: a 500).
        if (!TryParseDay(from, DateOnly.FromDayNumber(Math.Max(0, last.DayNumber + 1 - DefaultDays)), out var first))
        {
            return Problems.BadRequest("from", $"「{from}」は日付ではありません（YYYY-MM-DD）。", $"'{from}' is not a date (YYYY-MM-DD).");
        }

        if (first > last)
        {
            return Problems.BadRequest("from", "開始日は終了日以前にしてください。", "'from' must not be after 'to'.");
        }

        if (last.DayNumber - first.DayNumber + 1 > MaxDays)
        {
            return Problems.BadRequest("from", $"期間は{MaxDays}日以内にしてください。", $"The period may span at most {MaxDays} days.");
        }

        var history = grains.GetGrain<INationHistoryGrain>(INationGrain.NationKey);
        var snapshots = await calls.Run(() => history.GetAsync(first, last), idempotent: true, cancellationToken);
        // Each day names the official datasets applied by the time its snapshot was taken.
        var index = grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key);
        var listings = await calls.Run(() => index.ListAsync(), idempotent: true, cancellationToken);
        var view = new NationHistoryView(Day(first), Day(last),
            snapshots.Select(s => new DailySnapshotView(Day(s.Day), Views.Nation(s.Nation, Views.NationSources(listings, s.Nation.ComputedAt)))).ToList());

        // The snapshots of past days never change and today's changes with every report: a hash of the representation
        // is its validator (RFC 9110 §8.8.3), so a chart polling the same period gets 304 until something moved.
        var etag = Preconditions.ContentETag(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(view));
        return Preconditions.ForRead(http, etag) ?? TypedResults.Ok(view);
    }

    private static bool TryParseDay(string? text, DateOnly fallback, out DateOnly day)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            day = fallback;
            return true;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

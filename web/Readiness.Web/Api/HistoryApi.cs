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

    /// <summary>?from=: the first day (Japan date), default <see cref="DefaultDays"/> days before ?to=.</summary>
    public static readonly QueryValue.DayParameter From = new("from");

    /// <summary>?to=: the last day (Japan date), default today.</summary>
    public static readonly QueryValue.DayParameter To = new("to");

    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/nation/history", GetHistory).AnswersConditionalRequests().WithTypedQuery(From, To).RequireAuthorization(ReadinessPolicies.Summaries).RequireRateLimiting(RateLimits.ReadsPolicy)
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
        if (To.Read(to, today, out var last) is { } malformedTo)
        {
            return malformedTo;
        }

        // The default period ends at the calendar's start for a 'to' in its first days (AddDays would throw: a 500).
        if (From.Read(from, DateOnly.FromDayNumber(Math.Max(0, last.DayNumber + 1 - DefaultDays)), out var first) is { } malformedFrom)
        {
            return malformedFrom;
        }

        // Two dates that are dates, in the wrong order or too far apart: a range fault, not a format one.
        if (first > last)
        {
            return Problems.BadRequest("from", QueryValue.OutOfRange, "from は to 以前の日付にしてください。", "from must not be after to.");
        }

        if (last.DayNumber - first.DayNumber + 1 > MaxDays)
        {
            return Problems.BadRequest("from", QueryValue.OutOfRange, $"from から to までの期間は{MaxDays}日以内にしてください。", $"The period from 'from' to 'to' may span at most {MaxDays} days.");
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

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Web.Auth;
using Readiness.Imports;
using Readiness.Web.Api.OpenApi;
using Readiness.Web.Summaries;

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
            .WithSummary("The nation's daily snapshots, oldest first: ?from=&to= (YYYY-MM-DD, Japan dates; default the last 30 days, at most 366)")
            .WithDescription($"from ≤ to、from から to まで（両端を含めて）{MaxDays}日以内。誤りは 400 out_of_range で、送った from・to のうち誤っているものを名指しします。 / from must not be after to, and the period from 'from' to 'to' (both included) spans at most {MaxDays} days; otherwise 400 out_of_range naming whichever of from and to was sent and is at fault (a bound not sent is its default: to today in Japan, from 29 days before to).");
        return app;
    }

    private static async Task<IResult> GetHistory(
        string? from, string? to, IGrainFactory grains, GrainCalls calls, SummaryCache cache, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
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

        // Two dates that are dates, in the wrong order or too far apart: a range fault, not a format one. It names the
        // bounds sent, never a default one (a breaker's finding: ?from= alone, a year and more back, was refused naming
        // 'to'); a default bound is told as the day it stood for.
        if (first > last || last.DayNumber - first.DayNumber + 1 > MaxDays)
        {
            return RangeRefusal(from, to, first, last);
        }

        var history = grains.GetGrain<INationHistoryGrain>(INationGrain.NationKey);
        var snapshots = await calls.Run(() => history.GetAsync(first, last), idempotent: true, cancellationToken);
        // Each day names the official datasets applied by the time its snapshot was taken.
        var index = grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key);
        var listings = await calls.Run(() => index.ListAsync(), idempotent: true, cancellationToken);
        // Today is the live nation, GET /api/v1/nation's very answer (figures, sources, missing municipalities); past days
        // are their stored snapshots, each naming the official datasets applied by the time it was taken.
        var live = await cache.GetAsync(SummaryCache.FirstSnapshotWait, cancellationToken);
        var days = NationHistoryDays.WithLiveToday(snapshots, first, last, today, live?.NationResponses.Summary);
        var view = new NationHistoryView(Day(first), Day(last),
            days.Select(s => new DailySnapshotView(Day(s.Day),
                live is not null && s.Day == today ? live.Nation : Views.Nation(s.Nation, Views.NationSources(listings, s.Nation.ComputedAt)))).ToList());

        // The snapshots of past days never change and today's (the live nation) changes with every report: a hash of the
        // representation is its validator (RFC 9110 §8.8.3), so a chart polling the same period gets 304 until something moved.
        var etag = Preconditions.ContentETag(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(view));
        return Preconditions.ForRead(http, etag) ?? TypedResults.Ok(view);
    }

    /// <summary>
    /// 400 <c>out_of_range</c> for a period in the wrong order or over <see cref="MaxDays"/> days: one fault per bound
    /// sent (<paramref name="fromSent"/>, <paramref name="toSent"/>; blank is not sent), each saying the other bound's
    /// day, and for a bound not sent that it is its default.
    /// </summary>
    internal static ProblemHttpResult RangeRefusal(string? fromSent, string? toSent, DateOnly first, DateOnly last)
    {
        var (fromGiven, toGiven) = (!string.IsNullOrWhiteSpace(fromSent), !string.IsNullOrWhiteSpace(toSent));
        var (lastJa, lastEn) = toGiven ? ($"to（{Day(last)}）", $"to ({Day(last)})") : ($"to の既定値の今日（{Day(last)}、日本時間）", $"today ({Day(last)}, Japan), the default of 'to'");
        var (firstJa, firstEn) = fromGiven ? ($"from（{Day(first)}）", $"from ({Day(first)})") : ($"from の既定値（{Day(first)}）", $"{Day(first)}, the default of 'from'");
        var errors = new List<ProblemError>(2);
        if (first > last)
        {
            if (fromGiven)
            {
                errors.Add(new("from", QueryValue.OutOfRange, $"from は{lastJa}以前の日付にしてください。", $"from must not be after {lastEn}."));
            }

            if (toGiven)
            {
                errors.Add(new("to", QueryValue.OutOfRange, $"to は{firstJa}以後の日付にしてください。", $"to must not be before {firstEn}."));
            }
        }
        else
        {
            var days = (last.DayNumber - first.DayNumber + 1).ToString(CultureInfo.InvariantCulture);
            if (fromGiven)
            {
                errors.Add(new("from", QueryValue.OutOfRange,
                    $"from から{lastJa}までの期間は{MaxDays}日以内にしてください（{days}日あります）。from は {Day(last.AddDays(1 - MaxDays))} 以後にしてください。",
                    $"The period from 'from' to {lastEn} may span at most {MaxDays} days (it spans {days}): from must be {Day(last.AddDays(1 - MaxDays))} or later."));
            }

            if (toGiven)
            {
                errors.Add(new("to", QueryValue.OutOfRange,
                    $"{firstJa}から to までの期間は{MaxDays}日以内にしてください（{days}日あります）。to は {Day(first.AddDays(MaxDays - 1))} 以前にしてください。",
                    $"The period from {firstEn} to 'to' may span at most {MaxDays} days (it spans {days}): to must be {Day(first.AddDays(MaxDays - 1))} or earlier."));
            }
        }

        return Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", errors);
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

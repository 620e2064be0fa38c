using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Readiness.Catalog;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Summaries;

/// <summary>
/// GET /api/v1/stream?topic=nation|prefecture:NN — Server-Sent Events from this node's cache: the current state first,
/// then one event per accepted change (at most one per poll interval), and a comment every 15 s to keep the line open.
/// GET /live/map-data — every municipality's map values for the current snapshot (compressed once, ETag = data key).
/// </summary>
public static class LiveEndpoints
{
    /// <summary>The stream's reconnection delay (SSE <c>retry:</c>, ms); the dashboard starts its own back-off from it.</summary>
    public const int RetryMilliseconds = 2000;

    private static readonly byte[] RetryLine = Encoding.UTF8.GetBytes($"retry: {RetryMilliseconds}\n\n");

    public static IEndpointRouteBuilder MapLiveEndpoints(this IEndpointRouteBuilder app)
    {
        // Summaries: every signed-in role, anonymous readers only when the operator allows (Readiness:Auth:AnonymousSummaries).
        // Opening a stream is a read, and each caller, tenant and node holds a bounded number open (RateLimitOptions.StreamsPerCaller…).
        app.MapGet("/api/v1/stream", StreamAsync).ExcludeFromDescription().RequireAuthorization(ReadinessPolicies.Summaries).RequireStreamSlot();
        app.MapGet("/live/map-data", MapDataAsync).ExcludeFromDescription().RequireAuthorization(ReadinessPolicies.Summaries).RequireRateLimiting(RateLimits.ReadsPolicy);
        return app;
    }

    private static async Task StreamAsync(HttpContext http, SummaryCache cache, LiveHub hub, IHostApplicationLifetime lifetime, CredentialWatch credentials, string? topic)
    {
        topic ??= LiveHub.NationTopic;
        string? prefecture = null;
        if (topic.StartsWith("prefecture:", StringComparison.Ordinal))
        {
            prefecture = topic["prefecture:".Length..];
        }

        if (topic != LiveHub.NationTopic && (prefecture is null || !ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefecture)))
        {
            // A closed set of 48 values (nation, prefecture:01..47): outside it is unknown_value, as every closed set's refusal.
            await Problems.BadRequest("topic", "unknown_value", $"topic「{Truncate(topic)}」は nation または prefecture:01〜47 で指定してください。",
                $"topic '{Truncate(topic)}' must be 'nation' or 'prefecture:01'..'prefecture:47'.").ExecuteAsync(http);
            return;
        }

        // Ends with the browser, or when the host stops (an open stream would otherwise hold shutdown for its whole timeout).
        // It also ends when the credential does: the token's exp or the cookie's expiry, or a revalidation refused
        // (CredentialWatch). The client's reconnection then meets authentication again.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        using var credential = credentials.Watch(http, linked.Token);
        var cancel = credential.Token;
        if (credential.End != CredentialEnd.None)
        {
            // Expired between authentication and now (e.g. within the token validation's clock skew): a 401 stops
            // EventSource, where an empty 200 would make it reconnect in a loop.
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\", error_description=\"The token expired\"";
            await Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", "Authorization", "invalid_token",
                "サインインの有効期限が切れました。もう一度サインインしてください。", "The credential has expired; sign in again.").ExecuteAsync(http);
            return;
        }

        if (await cache.GetOrStartingAsync(http, cancel) is not { } snapshot)
        {
            return;
        }

        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // Subscribe before reading the snapshot, so nothing published in between is lost.
        using var subscriber = hub.Subscribe(topic);
        snapshot = cache.Current ?? snapshot;
        var first = prefecture is null ? snapshot.NationEvent : snapshot.Prefectures[prefecture].Event;
        try
        {
            await response.Body.WriteAsync(RetryLine, cancel);
            await response.Body.WriteAsync(first, cancel);
            await response.Body.FlushAsync(cancel);
            await foreach (var message in subscriber.Reader.ReadAllAsync(cancel))
            {
                await response.Body.WriteAsync(message, cancel);
                await response.Body.FlushAsync(cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The browser went away or the host is stopping; EventSource reconnects by itself.
        }

        if (credential.End != CredentialEnd.None && !http.RequestAborted.IsCancellationRequested)
        {
            // Says why in a comment line (ignored by EventSource); its reconnection gets 401 and stops.
            var reason = credential.End == CredentialEnd.Expired ? ": credential expired\n\n" : ": credential revoked\n\n";
            try
            {
                await response.Body.WriteAsync(Encoding.UTF8.GetBytes(reason), http.RequestAborted);
                await response.Body.FlushAsync(http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // Gone already.
            }
        }
    }

    private static async Task MapDataAsync(HttpContext http, SummaryCache cache)
    {
        if (await cache.GetOrStartingAsync(http, http.RequestAborted) is { } snapshot)
        {
            await snapshot.MapData.WriteAsync(http, "no-cache");
        }
    }

    private static string Truncate(string text) => text.Length > 30 ? Problems.Escaped(text[..30]) + "…" : Problems.Escaped(text);
}

using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Readiness.Web.Api.OpenApi;

namespace Readiness.Web.Api;

/// <summary>
/// Conditional requests for a JSON read that has no version of its own (a person's notifications, the official
/// imports, the vendor and forecast views, the outbox, the API clients…): the entity tag is a hash of the answer's JSON
/// (<see cref="Preconditions.ContentETag"/>), so it changes exactly when the answer does, and a client polling with
/// <c>If-None-Match</c> gets 304 without a body until then. Answers other than a 200 with a JSON value (problems,
/// files, CSV) pass through untouched. The same rules as every other read (<see cref="Preconditions.ForRead"/>):
/// 304, 412 for a failing <c>If-Match</c>, 400 for a malformed header, <c>Cache-Control: private, no-cache</c>.
/// Before (2026-12), these reads sent no ETag, so every poll carried the whole list.
/// </summary>
public static class ContentConditionalRead
{
    /// <summary>Marks a GET (or every GET of a group) as answering conditional requests by its content.</summary>
    public static TBuilder AnswersConditionalRequestsByContent<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AnswersConditionalRequests().WithMetadata(TaggedByContent.Instance).AddEndpointFilter(FilterAsync);

    /// <summary>Endpoint metadata of a read whose entity tag is the hash of its JSON answer (this filter's).</summary>
    public sealed class TaggedByContent
    {
        public static readonly TaggedByContent Instance = new();

        private TaggedByContent()
        {
        }
    }

    private static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var http = context.HttpContext;
        if (!(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)) || ValueOf(result) is not { } value)
        {
            return result;
        }

        // Serialized once: the bytes hashed for the tag are the bytes sent (before, the framework serialized the value
        // a second time to write it).
        var json = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), SerializerOptions(http));
        return Preconditions.ForRead(http, Preconditions.ContentETag(json)) ?? new JsonBytes(json);
    }

    /// <summary>
    /// Marks a write (PUT, POST, DELETE) whose target's GET is tagged by its content (a person's notification choices,
    /// an API client, the clients, webhooks, imports and backups as listed) as answering If-Match and If-None-Match as
    /// every write with a version does: a header that is not a list of entity tags is 400 naming it
    /// (<see cref="WriteConditions.Enforce"/>, before anything else); If-Match that the current tag does not satisfy
    /// (strong comparison, "*" when there is one), or If-None-Match that it matches ("*", or the tag by the weak
    /// comparison), is 412 naming the header with the current <c>ETag</c>, nothing written; a tag that names no version
    /// of the target (weak, not a content tag) is told so (<see cref="Preconditions.NoVersionNamed"/>).
    /// <paramref name="read"/> answers what the target's GET answers (its handler, called as it is); a target that is
    /// not there (no 200) leaves the write to give its own refusal (404). Without either header nothing is read. The
    /// check precedes the write, not atomic with it: these resources have no version for a store to compare.
    /// </summary>
    /// <param name="target">The GET route whose answer <paramref name="read"/> gives (<see cref="ConditionalWrite.Target"/>).</param>
    /// <param name="exists">
    /// For a write on an item compared with its list's tag (a webhook, a notification, an outbox entry): false when the
    /// item is not there, so the write gives its own 404 and the conditions are not evaluated (RFC 9110 §13.2.1: they
    /// apply only where the method would otherwise succeed). Round 48: such an item's stale tag was 412, not 404.
    /// </param>
    public static TBuilder WritesConditionallyByContent<TBuilder>(this TBuilder builder, string target, Func<HttpContext, Task<object?>> read, Func<HttpContext, Task<bool>>? exists = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WritesConditionallyOn(target).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var headers = http.Request.Headers;
            if (Microsoft.Extensions.Primitives.StringValues.IsNullOrEmpty(headers.IfMatch) && Microsoft.Extensions.Primitives.StringValues.IsNullOrEmpty(headers.IfNoneMatch))
            {
                return await next(context);
            }

            // Parsed once, by WriteConditions.Enforce, which has refused a malformed header already.
            var conditions = Preconditions.Conditions(http);
            if (!conditions.Valid)
            {
                var name = conditions.IfMatchValid ? Microsoft.Net.Http.Headers.HeaderNames.IfNoneMatch : Microsoft.Net.Http.Headers.HeaderNames.IfMatch;
                return Preconditions.MalformedHeader(name, headers[name]);
            }

            if (exists is not null && !await exists(http))
            {
                return await next(context);
            }

            if (ValueOf(await read(http)) is not { } current)
            {
                return await next(context);
            }

            var etag = Preconditions.ContentETag(JsonSerializer.SerializeToUtf8Bytes(current, current.GetType(), SerializerOptions(http)));
            var (outcome, header) = Preconditions.Evaluate(http.Request.Method, conditions, etag);
            if (outcome == PreconditionOutcome.Failed)
            {
                http.Response.Headers.ETag = etag;
                return Preconditions.PreconditionFailed(http, header!, etag);
            }

            return await next(context);
        });

    /// <summary>
    /// <see cref="Preconditions.ForRead"/> with a hash of <paramref name="content"/> as JSON for the tag: null to send the
    /// answer, else the 304, 412 or 400. For a read whose body is not the JSON value (a CSV made from the same rows).
    /// </summary>
    public static IResult? ForRead(HttpContext http, object content)
    {
        return Preconditions.ForRead(http, Preconditions.ContentETag(JsonSerializer.SerializeToUtf8Bytes(content, content.GetType(), SerializerOptions(http))));
    }

    /// <summary>The API's own serializer settings (camelCase, enums as strings…): what the framework writes with, so equal answers hash equally.</summary>
    private static JsonSerializerOptions SerializerOptions(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;

    /// <summary>A 200 whose body is JSON already serialized (UTF-8), with its length.</summary>
    private sealed class JsonBytes(byte[] json) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            httpContext.Response.ContentLength = json.Length;
            return httpContext.Response.Body.WriteAsync(json, httpContext.RequestAborted).AsTask();
        }
    }

    /// <summary>The JSON value of a 200 answer (through a <c>Results&lt;…&gt;</c> union), or null for anything else.</summary>
    private static object? ValueOf(object? result)
    {
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }

        return result switch
        {
            IValueHttpResult { Value: { } value } and IStatusCodeHttpResult { StatusCode: null or StatusCodes.Status200OK } => value,
            IResult => null,
            null => null,
            _ => result, // a handler that returns its value as such (serialized as JSON by the framework)
        };
    }
}

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

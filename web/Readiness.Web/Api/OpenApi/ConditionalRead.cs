namespace Readiness.Web.Api.OpenApi;

/// <summary>
/// Endpoint metadata: this GET answers conditional requests through <see cref="Preconditions.ForRead"/> (ETag on the
/// answer, 304 for a matching If-None-Match, 412 for a failing If-Match, 400 for a malformed one). The contract
/// declares all of it from this mark (<see cref="ContractTransformer"/>), so the handler and its description cannot drift.
/// </summary>
public sealed class ConditionalRead
{
    public static ConditionalRead Instance { get; } = new();

    private ConditionalRead()
    {
    }
}

public static class ConditionalReadEndpoints
{
    /// <summary>Marks a GET whose handler calls <see cref="Preconditions.ForRead"/>.</summary>
    public static TBuilder AnswersConditionalRequests<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(ConditionalRead.Instance);
}

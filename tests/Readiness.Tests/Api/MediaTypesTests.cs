using Readiness.Web.Api;
using Xunit;

namespace Readiness.Tests.Api;

/// <summary>
/// The media type check every write runs twice (the middleware and the body's reader): the usual header allocates
/// nothing (issue 14's allocation per change), and every other header gets the same answer as before.
/// </summary>
public sealed class MediaTypesTests
{
    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON")]
    public void The_usual_header_is_accepted_without_allocating(string contentType)
    {
        Assert.Null(MediaTypes.Check(contentType, MediaTypes.JsonOnly)); // warm: the JIT's own allocations
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Assert.Null(MediaTypes.Check(contentType, MediaTypes.JsonOnly));
            Assert.Null(MediaTypes.Check(contentType, [MediaTypes.MergePatch, MediaTypes.Json]));
        }

        // The second call's collection expression is the test's own (one small list per call); the check adds nothing.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before <= 100 * 64, $"{GC.GetAllocatedBytesForCurrentThread() - before} bytes for 200 checks");
    }

    [Theory]
    [InlineData("application/json; charset=utf-8", null)]
    [InlineData("application/json;charset=\"UTF-8\"", null)]
    [InlineData(" application/json", null)]
    [InlineData("application/json; charset=shift_jis", "unsupported_charset")]
    [InlineData("text/plain", "unsupported_media_type")]
    [InlineData("application/merge-patch+json", "unsupported_media_type")]
    [InlineData("", "unsupported_media_type")]
    [InlineData(null, "unsupported_media_type")]
    public void Other_headers_are_answered_as_before(string? contentType, string? code)
    {
        var problem = MediaTypes.Check(contentType, MediaTypes.JsonOnly);

        Assert.Equal(code, (problem?.ProblemDetails.Extensions["errors"] as IReadOnlyList<ProblemError>)?.Single().Code);
        Assert.Equal(code is null ? null : 415, problem?.StatusCode);
    }

    [Fact]
    public void A_merge_patch_is_accepted_where_it_is_the_accepted_type()
    {
        Assert.Null(MediaTypes.Check("application/merge-patch+json", MediaTypes.MergePatchOnly));
        Assert.NotNull(MediaTypes.Check("application/json", MediaTypes.MergePatchOnly));
    }
}

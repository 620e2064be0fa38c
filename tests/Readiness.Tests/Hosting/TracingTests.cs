using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using Readiness.Hosting;

namespace Readiness.Tests.Hosting;

/// <summary>
/// Traces are recorded only when they go somewhere (an OTLP endpoint): without one, no tracer listens to the Orleans
/// and ASP.NET Core sources, so no activity is recorded per request or grain call; with one, they are.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TracingTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("http://127.0.0.1:9", true)] // nothing listens there: the probe span is never delivered anywhere
    public void Traces_are_recorded_only_with_an_otlp_endpoint(string? endpoint, bool recorded)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        if (endpoint is not null)
        {
            builder.Configuration[ServiceDefaults.OtlpEndpointKey] = endpoint;
        }

        builder.AddServiceDefaults();
        Assert.Equal(recorded, ServiceDefaults.TracesExported(builder.Configuration));
        using var host = builder.Build();
        var tracer = host.Services.GetService<TracerProvider>();
        Assert.Equal(recorded, tracer is not null);

        // What a grain call's filter would start: recorded only when a tracer listens.
        using var source = new ActivitySource("Microsoft.Orleans.Runtime");
        using var activity = source.StartActivity("probe");
        Assert.Equal(recorded, activity is not null);
    }
}

/// <summary>Tracer providers listen process-wide: these tests run alone, not beside another class that starts activities.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "tracing";
}

using Readiness.Testing;

namespace Readiness.HostTests.Summaries;

/// <summary>One embedded host (public baseline, own data folder) shared by the summary tests, which run one after another.</summary>
public sealed class SummaryHost : IAsyncLifetime
{
    private readonly TempFolder folder = new("readiness-summaries");

    public ReadinessWebHost Host { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Host = new ReadinessWebHost(folder.Path);
        _ = Host.BaseAddress; // starts Kestrel and the co-hosted silo
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        folder.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SummaryHostCollection : ICollectionFixture<SummaryHost>
{
    public const string Name = "summary host";
}

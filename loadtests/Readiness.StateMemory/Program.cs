using System.Security.Cryptography;
using Readiness;
using Readiness.Catalog;
using Readiness.Grains;

// Memory a municipality's state takes in a silo (issue 14: "memory per municipality state stated"), measured on the
// managed heap: all 1,741 records made as each seed makes them, then the state's stored JSON, then what an active
// grain remembers for safe retries at its fullest (MunicipalityGrainState.RememberedRequests applied requests).
// Usage: dotnet run --project loadtests/Readiness.StateMemory -c Release
var codes = ReadinessCatalog.Instance.Municipalities.Select(m => m.Code).ToList();
var now = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
Console.WriteLine($"{codes.Count:N0} municipalities; managed heap after a full collection, per municipality");

foreach (var (name, seed) in new (string, IMunicipalitySeed)[]
{
    ("public baseline (the default)", new PublicBaselineSeed()),
    ("demo seed (every field filled in)", new SyntheticSeed(20261201, TimeProvider.System)),
})
{
    _ = seed.Create(codes[0], now); // loads the seed's data before measuring
    var before = Heap();
    var states = codes.Select(c => new MunicipalityGrainState { Record = seed.Create(c, now) }).ToList();
    var held = Heap() - before;
    long json = 0;
    foreach (var state in states)
    {
        using var written = GrainStateJson.TrySerialize(state)!;
        json += written.Length;
    }

    Console.WriteLine($"- {name}: record {Kb(held / states.Count)} in memory, stored as {Kb(json / states.Count)} of JSON; {Mb(held)} for the nation");
    GC.KeepAlive(states);
}

// What ChangeMemory keeps per active municipality once it has applied RememberedRequests requests: the request id
// (a client's Idempotency-Key, here a UUID as the docs suggest), the SHA-256 fingerprint (64 hex characters) and the
// call id (32), as the grain makes them.
var window = MunicipalityGrainState.RememberedRequests;
var beforeWindows = Heap();
var windows = codes.Select(_ =>
{
    var kept = new AppliedRequests(window);
    for (var i = 0; i < window; i++)
    {
        kept.Add(new AppliedRequest(Guid.NewGuid().ToString(), Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), i) { CallId = Guid.NewGuid().ToString("N") });
    }

    return kept;
}).ToList();
var windowBytes = Heap() - beforeWindows;
Console.WriteLine($"- remembered requests at their fullest ({window}): {Kb(windowBytes / windows.Count)} per active municipality; {Mb(windowBytes)} for the nation");
GC.KeepAlive(windows);

static long Heap()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    return GC.GetTotalMemory(forceFullCollection: true);
}

static string Kb(long bytes) => $"{bytes / 1024.0:N1} KB";

static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):N1} MiB";

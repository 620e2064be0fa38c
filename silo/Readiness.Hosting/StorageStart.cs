using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Readiness.Hosting;

/// <summary>Work on the product's own database that must be done before the host serves: the web tier's tables (accounts, API clients).</summary>
public interface IStorageStartStep
{
    /// <summary>Runs once per start, after the schema, before the silo and the server start; throws to refuse the start.</summary>
    Task RunAsync(IServiceProvider services, CancellationToken cancellationToken);
}

/// <summary>
/// Opens the product's storage when the host starts, in order and before the silo: in embedded mode first the data
/// folder's lock (a second server on the folder is refused before it touches anything), then the schema (a silo), then
/// the steps of <see cref="IStorageStartStep"/>. Nothing of this happens while the host is built, so a start refused for
/// a setting or a port in use leaves the data folder as it was (the schema used to be applied while the silo was
/// configured, and the lock taken only after the silo had started, so a second server migrated the database, joined,
/// and printed the silo's shutdown above its refusal).
/// </summary>
/// <remarks>Registered before the silo's hosted service, after <see cref="WebPorts"/>: hosted services start in the order they were added.</remarks>
public sealed class StorageStart(IServiceProvider services, IStorageConnection storage, IOptions<ReadinessOptions> options, ILogger<StorageStart> logger, bool applySchema) : IHostedService, IDisposable
{
    private DataFolderLock? held;

    /// <summary>Registers the start of storage; <paramref name="applySchema"/> for a silo (a cluster's web node applies none).</summary>
    public static void Register(IServiceCollection services, bool applySchema) =>
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<StorageStart>(sp, applySchema));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var readiness = options.Value;
        var embedded = readiness.Mode == HostingMode.Embedded;
        if (embedded)
        {
            var folder = readiness.ResolveDataPath();
            held = DataFolderLock.TryAcquire(folder) ?? throw StartRefusal.Refused($"Readiness:DataPath = '{folder}'",
                "別の Readiness プロセスがこのデータフォルダーを使っています（readiness.lock を保持）。そのプロセスを止めるか、Readiness__DataPath で別のフォルダーを指定してください",
                "another Readiness process is using this data folder (readiness.lock is held). Stop it, or choose another folder with Readiness__DataPath.");
        }

        if (applySchema)
        {
            EnsureSchema(readiness);
        }

        if (embedded)
        {
            // After the schema step, which narrows the product's own files and folders of an earlier version (auth/,
            // backups/): only a folder the operator made stays open to warn about.
            WarnAboutOpenFolders(readiness.ResolveDataPath(), readiness.Backup.ResolvePath(readiness));
        }

        foreach (var step in services.GetServices<IStorageStartStep>())
        {
            await step.RunAsync(services, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        held?.Dispose();
        held = null;
    }

    private void EnsureSchema(ReadinessOptions readiness)
    {
        try
        {
            storage.EnsureSchema();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // Said as a refusal naming the setting; the driver's own message follows as the detail.
            throw readiness.Mode == HostingMode.Embedded
                ? StartRefusal.Refused($"Readiness:DataPath = '{readiness.ResolveDataPath()}'", $"データベース {storage.Location} を開けないか、スキーマを適用できません",
                    $"the database {storage.Location} cannot be opened or its schema applied.", e)
                : StartRefusal.Refused("Readiness:ConnectionString", $"PostgreSQL（{storage.Location}）に接続できないか、スキーマを適用できません",
                    $"PostgreSQL ({storage.Location}) cannot be reached or its schema applied.", e);
        }
    }

    private void WarnAboutOpenFolders(string folder, string backups)
    {
        OwnerOnly.SecureFiles(backups);
        foreach (var warning in new[]
        {
            OwnerOnly.OpenFolderWarning(folder, "データフォルダー", "data folder"),
            OwnerOnly.OpenFolderWarning(backups, "バックアップフォルダー", "backup folder"),
        })
        {
            if (warning is not null)
            {
                logger.LogWarning("{Warning}", warning);
            }
        }
    }
}

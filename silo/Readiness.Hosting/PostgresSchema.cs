namespace Readiness.Hosting;

/// <summary>Applies deploy/sql/postgresql (embedded) under an advisory lock. Filled in by the cluster-mode work.</summary>
public static class PostgresSchema
{
    public static int Apply(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        throw new NotSupportedException("Cluster mode on PostgreSQL is not available in this build yet.");
    }
}

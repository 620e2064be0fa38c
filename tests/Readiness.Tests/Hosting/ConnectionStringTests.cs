using Npgsql;
using Readiness.Hosting;

namespace Readiness.Tests.Hosting;

public sealed class ConnectionStringTests
{
    [Fact]
    public void A_silo_pools_a_bounded_number_of_connections_unless_told_otherwise()
    {
        Assert.Equal(ClusterHosting.DefaultMaxPoolSize, new NpgsqlConnectionStringBuilder(ClusterHosting.WithPoolDefaults("Host=db;Database=readiness")).MaxPoolSize);
        Assert.Equal(5, new NpgsqlConnectionStringBuilder(ClusterHosting.WithPoolDefaults("Host=db;Database=readiness;MaxPoolSize=5")).MaxPoolSize);
        Assert.Equal(7, new NpgsqlConnectionStringBuilder(ClusterHosting.WithPoolDefaults("Host=db;Maximum Pool Size=7")).MaxPoolSize);
    }
}

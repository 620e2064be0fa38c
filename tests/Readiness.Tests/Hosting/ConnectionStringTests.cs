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

    [Fact]
    public void Repeated_statements_are_prepared_unless_told_otherwise()
    {
        Assert.Equal(ClusterHosting.DefaultMaxAutoPrepare, new NpgsqlConnectionStringBuilder(ClusterHosting.WithPoolDefaults("Host=db;Database=readiness")).MaxAutoPrepare);
        Assert.Equal(ClusterHosting.DefaultMaxAutoPrepare, new NpgsqlConnectionStringBuilder(ClusterHosting.WithPoolDefaults("Host=db;MaxPoolSize=5")).MaxAutoPrepare);
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(ClusterHosting.WithPoolDefaults("Host=db;Max Auto Prepare=0")).MaxAutoPrepare);
        var given = new NpgsqlConnectionStringBuilder(ClusterHosting.WithPoolDefaults("Host=db;Port=6543;Username=u;Password=p;Database=d;Timeout=9;MaxAutoPrepare=3"));
        Assert.Equal(("db", 6543, "u", "p", "d", 9, 3), (given.Host, given.Port, given.Username, given.Password, given.Database, given.Timeout, given.MaxAutoPrepare));
    }
}

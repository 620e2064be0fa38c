using Microsoft.Extensions.Configuration;
using Readiness.Hosting;

/// <summary><c>Readiness.Silo migrate</c>: applies deploy/sql/postgresql to Readiness:ConnectionString and reports what it did.</summary>
internal static class SchemaCommand
{
    public static int Migrate(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        var options = SiloHosting.ReadOptions(configuration);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            Console.Error.WriteLine("Set Readiness__ConnectionString (or --Readiness:ConnectionString=...) to the PostgreSQL database to migrate.");
            return 2;
        }

        var applied = PostgresSchema.Apply(options.ConnectionString, Console.Out);
        var versions = PostgresSchema.AppliedVersions(options.ConnectionString);
        Console.WriteLine($"Schema current: {applied} script(s) applied now, versions {string.Join(", ", versions)} recorded in {PostgresSchema.VersionTable}.");
        return 0;
    }
}

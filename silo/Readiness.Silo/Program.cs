using Readiness.Hosting;

// A cluster silo: grains on PostgreSQL, membership and reminders in PostgreSQL, health and metrics on its own HTTP
// port (ASPNETCORE_URLS or --urls). "migrate" applies the schema and exits, for operators who migrate before rolling out.
if (args.Length > 0 && args[0] == "migrate")
{
    return SchemaCommand.Migrate(args[1..]);
}

// "probe URL": the container health check (the image has no curl).
if (HealthProbeCommand.IsInvoked(args))
{
    return HealthProbeCommand.Run(args, Console.Out);
}

// A start that fails (a setting refused, a port in use, PostgreSQL unreachable) is one line and exit 2, not an unhandled
// exception's abort (134, a core dump, a "crash" to systemd and Kubernetes).
// Set once the host has started: a failure after that is a stop while serving, not a refused start.
var started = false;
try
{
    var builder = WebApplication.CreateBuilder(ContentRoot.Options(args));

    // The catch below reports a failed start as one line: the host's own log of it would print the stack above it.
    builder.Logging.QuietFailedStart(builder.Configuration, () => started);

    // A misspelt name or a value the silo cannot work with refuses the start, now, before anything reads the
    // configuration or touches the database (and again at start); keys under the web tier's sections (Auth, Smtp, ...)
    // are the web nodes' to judge, since one environment often serves both.
    static void Checks(IServiceCollection services, IConfiguration configuration) =>
        services.AddHostingChecks(configuration, SettingNames.Silo(), onlyOwnSections: true);
    HostingChecks.Run(builder.Configuration, Checks);
    Checks(builder.Services, builder.Configuration);
    builder.AddServiceDefaults();
    builder.AddReadinessSilo();

    var app = builder.Build();
    app.Lifetime.ApplicationStarted.Register(() => started = true);
    app.MapDefaultEndpoints();
    app.MapGet("/", () => Results.Text("Readiness silo: /health/live, /health/ready, /metrics\n"));
    app.Run();
    return 0;
}
catch (NewerSchemaException refused)
{
    // Not a crash: this version must not run on that database. Say why and stop (exit 1, not an abort).
    Console.Error.WriteLine(refused.Message);
    return 1;
}
catch (Exception refused) when (refused is not HostAbortedException)
{
    return StartRefusal.Report(refused, Console.Error, started);
}

using Readiness.Hosting;
using Readiness.Web;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Clients;
using Readiness.Web.Components;
using Readiness.Web.Identity;
using Readiness.Web.Notifications;
using Readiness.Web.Operations;
using Readiness.Web.Planning;

// `token --role ... --code ...` prints a local token and exits without starting the server.
if (LocalTokenCommand.IsInvoked(args))
{
    return LocalTokenCommand.Run(args, Console.Out, Console.Error);
}

// `probe URL`: the container health check (the image has no curl).
if (HealthProbeCommand.IsInvoked(args))
{
    return HealthProbeCommand.Run(args, Console.Out);
}

// `backup [--out FILE]` and `restore --from FILE` work on the embedded database without serving.
if (BackupCommands.IsInvoked(args))
{
    return BackupCommands.Run(args, Console.Out, Console.Error);
}

// A start that fails (a setting refused, a port in use, a data folder that cannot be made) is one line and exit 2, not an
// unhandled exception's abort (134, a core dump, a "crash" to systemd and Kubernetes).
// Set once the host has started: a failure after that is a stop while serving, not a refused start.
var started = false;
try
{
    var builder = WebApplication.CreateBuilder(ContentRoot.Options(args));

    // The catch below reports a failed start as one line: the host's own log of it would print the stack above it.
    builder.Logging.QuietFailedStart(builder.Configuration, () => started);

    // A misspelt name (Readiness__DataPth) or a value the product cannot work with refuses the start instead of a server
    // on the default it did not mean: the same checks the backup, restore and token commands run, now, before anything
    // below reads the configuration or touches the data folder, and again at start for sources added later.
    ConfigurationChecks.Run(builder.Configuration);
    builder.Services.AddConfigurationChecks(builder.Configuration);
    builder.AddServiceDefaults();
    builder.AddReadinessProxyHeaders();
    builder.AddReadinessOrleans();

    builder.Services.AddReadinessApi();
    builder.AddReadinessAuth();
    builder.AddReadinessIdentity();
    builder.AddReadinessFederation();
    builder.AddReadinessClients();
    builder.AddReadinessDashboard();
    builder.AddReadinessPlanning();
    builder.AddReadinessNotifications();
    builder.Services.AddSingleton<Readiness.Web.Imports.OfficialImportService>();
    builder.Services.AddSingleton<Readiness.Web.Imports.ReconciliationService>();
    builder.Services.AddSingleton<Readiness.Web.Imports.TemplateService>();
    builder.Services.AddSingleton<Readiness.Web.Imports.ReconciliationNotifier>();

    var app = builder.Build();
    app.Lifetime.ApplicationStarted.Register(() => started = true);
    app.UseReadinessProxyHeaders();
    app.UseExceptionHandler();
    app.UseStatusCodePages();

    // Inside the default status pages, so it answers first: a page address that matches nothing gets the dashboard's own
    // 404 page (language, title, a way back). Before routing, so the re-executed request is routed again to /not-found.
    // The API's empty 4xx get problem details in UseReadinessApi; everything else the default status text.
    app.UseWhen(
        http => HttpMethods.IsGet(http.Request.Method) && !http.Request.Path.StartsWithSegments("/api"),
        pages => pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
    app.UseRouting();
    app.UseReadinessApi();
    app.UseReadinessDashboard();
    app.MapDefaultEndpoints();
    app.MapReadinessApi();
    app.MapReadApi();
    app.MapHistoryApi();
    app.UseReadinessIdentity();
    app.MapFederationEndpoints();
    app.UseReadinessClients();
    app.MapOperations();
    app.MapPlanningApi();
    app.MapNotifications();
    Readiness.Web.Imports.ImportsApi.MapImportsApi(app);
    Readiness.Web.Imports.ImportPages.MapImportPages(app);
    Readiness.Web.Imports.ReconciliationApi.MapReconciliationApi(app);
    Readiness.Web.Imports.TemplateApi.MapTemplateApi(app);
    Readiness.Web.Components.Access.FormAddresses.MapFormAddressReturns(app); // last: it reads every other endpoint
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
    // HostAbortedException is the test host's (WebApplicationFactory's) way of taking the built host: not a failure.
    return StartRefusal.Report(refused, Console.Error, started);
}

public partial class Program;

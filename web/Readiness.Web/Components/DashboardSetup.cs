using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Readiness.Web.Components.Map;
using Readiness.Web.Live;

namespace Readiness.Web.Components;

/// <summary>Everything the dashboard adds to the web host, so Program.cs gains two lines.</summary>
public static class DashboardSetup
{
    public static WebApplicationBuilder AddReadinessDashboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        // wwwroot is found through the build's static web assets manifest whatever the working directory (`dotnet run`
        // starts in Production from the build output); a published app has no such manifest and this is a no-op.
        builder.WebHost.UseStaticWebAssets();
        services.AddSingleton<AssetUrls>();
        services.AddRazorComponents();
        services.AddHttpContextAccessor();
        services.AddScoped<UiText>();
        services.AddSingleton<MapAssets>();
        services.AddSingleton<LiveHub>();
        services.Configure<DashboardCacheOptions>(builder.Configuration.GetSection(DashboardCacheOptions.Section));
        services.AddSingleton<DashboardCache>();
        services.AddHostedService(sp => sp.GetRequiredService<DashboardCache>());
        services.TryAddSingleton<IDailySnapshotSource, NoDailySnapshots>();

        // Pages and JSON are compressed on the fly (fastest level); the map geometry and map data are compressed once
        // at their best level by CompressedPayload and pass through untouched. Event streams are never compressed.
        // The pages hold public figures only; revisit EnableForHttps when a page shows a secret next to reflected input.
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["text/csv", "image/svg+xml"]);
        });
        return builder;
    }

    public static WebApplication UseReadinessDashboard(this WebApplication app)
    {
        app.UseResponseCompression();
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = AssetUrls.SetCacheHeaders });
        app.UseAntiforgery();
        app.MapRazorComponents<App>();
        app.MapDashboardEndpoints();
        app.MapLiveEndpoints();
        return app;
    }
}

using Readiness.Hosting;
using Readiness.Web;
using Readiness.Web.Api;
using Readiness.Web.Components;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddReadinessSilo();
builder.Services.AddReadinessApi();
builder.AddReadinessDashboard();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseReadinessDashboard();
app.MapDefaultEndpoints();
app.MapReadApi();
app.Run();

public partial class Program;

using Readiness.Hosting;
using Readiness.Web;
using Readiness.Web.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddReadinessOrleans();
builder.Services.AddReadinessApi();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.MapReadApi();
app.MapHistoryApi();
app.Run();

public partial class Program;

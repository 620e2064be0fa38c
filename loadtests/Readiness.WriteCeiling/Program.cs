using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Readiness.WriteCeiling;

// The write path's floor on this machine (issue 14): only the parts the constraints require of an accepted
// change, each done once, nothing of the product's own. `loadtests/Readiness.LoadTests write-ceiling` drives it and the
// product with the same requests and the same generator, side by side.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var signingKey = Convert.FromBase64String(builder.Configuration["Ceiling:SigningKey"] ?? throw new InvalidOperationException("Set Ceiling__SigningKey (base64)."));
var dataPath = builder.Configuration["Ceiling:DataPath"] ?? throw new InvalidOperationException("Set Ceiling__DataPath.");
var siloPort = builder.Configuration.GetValue("Ceiling:SiloPort", 11311);
var gatewayPort = builder.Configuration.GetValue("Ceiling:GatewayPort", 30311);

// The same bearer tokens as the product's local ones (HS256, issuer readiness-local, audience readiness), checked on every request.
builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
{
    o.MapInboundClaims = false;
    o.TokenValidationParameters = new TokenValidationParameters
    {
        ValidIssuer = "readiness-local",
        ValidAudience = "readiness",
        IssuerSigningKey = new SymmetricSecurityKey(signingKey) { KeyId = "readiness-local" },
        NameClaimType = "sub",
        RoleClaimType = "role",
    };
});
builder.Services.AddAuthorization();
builder.Services.AddSingleton(_ => new GroupCommitLog(Path.Combine(dataPath, "ceiling.db")));
builder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort, gatewayPort));

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapGet("/health/live", () => "ok");
app.MapGet("/health/ready", () => "ok");

// For the load test: what was made durable (every acknowledged change is a row of the audit trail) and what the process
// has allocated (GC.GetTotalAllocatedBytes, as the product's dotnet.gc.heap.total_allocated).
app.MapGet("/ceiling/counts", (GroupCommitLog log) => Results.Json(new Counts(log.AuditRows(), GC.GetTotalAllocatedBytes()), CeilingJson.Default.Counts));

// The libraries' floor per request, for the allocation and CPU per change (issue 14): the same host answering 204
// with nothing else (Kestrel, routing, a minimal API), then after the bearer check, then after the bearer check and
// one grain call answering from memory. Measured by the load test's write-ceiling scenario beside the changes.
app.MapGet("/ceiling/trivial", () => Results.NoContent());
app.MapGet("/ceiling/authenticated/{code}", (string code) => Results.NoContent()).RequireAuthorization();
app.MapGet("/ceiling/grain/{code}", async (string code, HttpContext http, IGrainFactory grains) =>
{
    var version = await grains.GetGrain<ICeilingMunicipalityGrain>(code).VersionAsync();
    http.Response.Headers.ETag = $"\"{version}\"";
    return Results.NoContent();
}).RequireAuthorization();

// A single change of one checklist item, as the product's PUT /api/v1/municipalities/{code}/security/{item}: the
// caller's own municipality only, If-Match and Idempotency-Key required, JSON in, 204 with the new version's ETag out.
app.MapPut("/api/v1/municipalities/{code}/security/{item}", async (string code, string item, HttpContext http, IGrainFactory grains) =>
{
    if (http.User.FindFirst("tenant")?.Value != code)
    {
        return Results.StatusCode(StatusCodes.Status403Forbidden);
    }

    var requestId = http.Request.Headers["Idempotency-Key"].ToString();
    if (requestId.Length == 0 || http.Request.Headers.IfMatch.Count == 0)
    {
        return Results.StatusCode(requestId.Length == 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status428PreconditionRequired);
    }

    ItemChange? body;
    try
    {
        body = await JsonSerializer.DeserializeAsync(http.Request.Body, CeilingJson.Default.ItemChange, http.RequestAborted);
    }
    catch (JsonException)
    {
        return Results.StatusCode(StatusCodes.Status400BadRequest);
    }

    if (body?.Status is not ("not_assessed" or "not_implemented" or "partial" or "implemented"))
    {
        return Results.StatusCode(StatusCodes.Status422UnprocessableEntity);
    }

    var version = await grains.GetGrain<ICeilingMunicipalityGrain>(code)
        .ChangeAsync(new ChangeCommand(item, body.Status, requestId, http.User.FindFirst("sub")?.Value ?? string.Empty));
    http.Response.Headers.ETag = $"\"{version}\"";
    return Results.NoContent();
}).RequireAuthorization();

app.Run();

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// The API description declares every request body the server reads: each POST, PUT and PATCH of /openapi/v1.json is
/// sent without a body by a caller it admits, and one the server refuses for a missing or bad body (400 naming
/// <c>body</c> or a member of one) must have a <c>requestBody</c> in the document, or no generated client can send it.
/// The kind of fault found: the scenarios' POST, the notification preferences' PUT and the webhooks' POST read JSON
/// bodies the document did not mention.
/// </summary>
public sealed class BodyContractTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Every_body_the_server_reads_is_in_the_description()
    {
        using var anonymous = host.Client();
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var clients = new[]
        {
            host.Client(host.Token(Role.Admin, subject: "body-contract-admin")), host.National(), host.Client(host.Token(Role.Prefecture, "13")),
            host.Municipality(ApiHost.Chiyoda),
        };
        try
        {
            var undeclared = new List<string>();
            var checkedOperations = 0;
            var reading = 0;
            foreach (var path in document.GetProperty("paths").EnumerateObject())
            {
                foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "post" or "put" or "patch"))
                {
                    var declared = operation.Value.TryGetProperty("requestBody", out _);
                    var url = RouteValues.Fill(path.Name);
                    HttpResponseMessage? answer = null;
                    foreach (var client in clients)
                    {
                        answer?.Dispose();
                        using var request = new HttpRequestMessage(new HttpMethod(operation.Name.ToUpperInvariant()), url)
                        {
                            Content = new StringContent(string.Empty, Encoding.UTF8, operation.Name == "patch" ? "application/merge-patch+json" : "application/json"),
                        };
                        request.Headers.TryAddWithoutValidation("If-Match", "*");
                        request.Headers.TryAddWithoutValidation("Idempotency-Key", "body-contract-" + Guid.NewGuid().ToString("N"));
                        answer = await client.SendAsync(request);
                        if (answer.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
                        {
                            break;
                        }
                    }

                    using (answer)
                    {
                        checkedOperations++;
                        Assert.True((int)answer!.StatusCode < 500, $"{operation.Name.ToUpperInvariant()} {url} without a body: {(int)answer.StatusCode}");
                        if (answer.StatusCode == HttpStatusCode.BadRequest && RefusesBody(await answer.Content.ReadAsStringAsync()))
                        {
                            reading++;
                            if (!declared)
                            {
                                undeclared.Add($"{operation.Name.ToUpperInvariant()} {path.Name}");
                            }
                        }
                    }
                }
            }

            output.WriteLine($"{checkedOperations} operations sent without a body; {reading} refused it for its body");
            Assert.True(reading >= 8, $"only {reading} operations refused a missing body: the check found too little");
            Assert.True(undeclared.Count == 0, "operations that read a body the description does not declare: " + string.Join(", ", undeclared));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static bool RefusesBody(string problem)
    {
        using var json = JsonDocument.Parse(problem);
        return json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
            && errors.EnumerateArray().Any(e => e.TryGetProperty("field", out var f) && f.GetString() is "body" or "file");
    }
}

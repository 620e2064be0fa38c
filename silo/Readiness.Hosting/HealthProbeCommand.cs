namespace Readiness.Hosting;

/// <summary>
/// <c>probe URL</c>: exits 0 when URL answers 200 within 4 s, else 1, and prints the status and the answer. The
/// container images have no curl; their HEALTHCHECK runs the product's own binary with this command, which starts no host.
/// </summary>
public static class HealthProbeCommand
{
    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "probe";

    public static int Run(string[] args, TextWriter output)
    {
        // Only an absolute http(s) address: HttpClient throws NotSupportedException for file:///x (and the like), which
        // ended the command in a stack trace.
        if (args.Length != 2 || !Uri.TryCreate(args[1], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            output.WriteLine(args.Length == 2
                ? StartRefusal.Say($"'{args[1]}'", "http:// か https:// で始まる絶対 URL を指定してください", "must be an absolute http or https URL.")
                : StartRefusal.Say("probe", "確かめる URL を一つ指定してください", "takes one URL."));
            output.WriteLine("Usage: probe http://127.0.0.1:8080/health/ready");
            return 2;
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
            using var response = http.GetAsync(url).GetAwaiter().GetResult();
            output.WriteLine($"{(int)response.StatusCode} {url}");
            // The answer too: run on the node itself, the probe is the caller /health/ready tells why (its checks'
            // descriptions), and the images have no curl to ask with.
            var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (body.Length > 0)
            {
                output.WriteLine(body);
            }

            return response.StatusCode == System.Net.HttpStatusCode.OK ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or NotSupportedException)
        {
            output.WriteLine($"{url}: {ex.Message}");
            return 1;
        }
    }
}

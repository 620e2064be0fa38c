using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Readiness.Web;

/// <summary>
/// The "Readiness:Proxy" section: the reverse proxies or load balancers in front of the web nodes. Only when it names
/// them are their X-Forwarded-For and X-Forwarded-Proto headers believed, so the audit trail, the security log and
/// the per-address rate limits see the real client rather than the proxy; a header from anyone else is ignored.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "Readiness:Proxy";

    /// <summary>Addresses of trusted proxies, e.g. "10.0.0.5,10.0.0.6" (env Readiness__Proxy__KnownProxies).</summary>
    public string? KnownProxies { get; set; }

    /// <summary>Networks of trusted proxies in CIDR form, e.g. "10.0.0.0/24" (env Readiness__Proxy__KnownNetworks).</summary>
    public string? KnownNetworks { get; set; }

    /// <summary>How many proxies in a chain to look through (one load balancer: 1).</summary>
    public int ForwardLimit { get; set; } = 1;

    public bool Enabled => !string.IsNullOrWhiteSpace(KnownProxies) || !string.IsNullOrWhiteSpace(KnownNetworks);

    /// <summary>
    /// One message per value the forwarded-headers middleware cannot work with, naming the setting and the value; empty
    /// when none. A ForwardLimit below 1 was taken at start and then failed every request (an OverflowException, 500).
    /// </summary>
    public IEnumerable<string> Problems()
    {
        if (ForwardLimit < 1)
        {
            yield return FormattableString.Invariant(
                $"{Section}:ForwardLimit = {ForwardLimit}: 1 以上を指定してください（前段のプロキシの数） / must be at least 1 (the number of proxies in front).");
        }

        foreach (var text in ProxyHeaders.Split(KnownProxies).Where(t => !IPAddress.TryParse(t, out _)))
        {
            yield return $"{Section}:KnownProxies: '{text}' は IP アドレスではありません / is not an IP address.";
        }

        foreach (var text in ProxyHeaders.Split(KnownNetworks).Where(t => !System.Net.IPNetwork.TryParse(t, out _)))
        {
            yield return $"{Section}:KnownNetworks: '{text}' は CIDR 形式のネットワークではありません（例 10.0.0.0/24） / is not a network in CIDR form (e.g. 10.0.0.0/24).";
        }
    }
}

public static class ProxyHeaders
{
    public static WebApplicationBuilder AddReadinessProxyHeaders(this WebApplicationBuilder builder)
    {
        var proxy = builder.Configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() ?? new ProxyOptions();
        builder.Services.AddSingleton(proxy);
        if (!proxy.Enabled)
        {
            return builder;
        }

        // A value that does not parse, or a ForwardLimit below 1, refuses the start (ProxyOptions.Problems, checked in
        // ConfigurationChecks) instead of failing requests; only what parses is taken here.
        var proxies = Split(proxy.KnownProxies).Select(text => IPAddress.TryParse(text, out var address) ? address : null).OfType<IPAddress>().ToList();
        var networks = Split(proxy.KnownNetworks).Select(text => System.Net.IPNetwork.TryParse(text, out var network) ? network : (System.Net.IPNetwork?)null)
            .OfType<System.Net.IPNetwork>().ToList();
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = proxy.ForwardLimit;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            proxies.ForEach(o.KnownProxies.Add);
            networks.ForEach(o.KnownIPNetworks.Add);
        });
        return builder;
    }

    /// <summary>First in the pipeline, so that everything after it sees the client's address.</summary>
    public static WebApplication UseReadinessProxyHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ProxyOptions>().Enabled)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    internal static string[] Split(string? list) =>
        (list ?? string.Empty).Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

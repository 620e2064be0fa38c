using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Readiness.Hosting;

/// <summary>
/// Who may scrape <c>/metrics</c> (section <c>Readiness:Metrics</c>). The exposition names the product's own counters
/// (writes, refusals by reason, deliveries, storage failures) and the runtime's: for the operators' Prometheus, not for
/// whoever reaches the port. As GitLab's monitoring allowlist does, the default is this machine and the private networks
/// a cluster's scraper runs in.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Readiness:Metrics";

    /// <summary>Loopback, RFC 1918 (10/8, 172.16/12, 192.168/16) and RFC 4193 unique local IPv6 (fc00::/7).</summary>
    public const string DefaultAllowedNetworks = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7";

    /// <summary>
    /// Networks in CIDR form, comma-separated (env <c>Readiness__Metrics__AllowedNetworks</c>): a scrape from anywhere else
    /// is 403. <c>0.0.0.0/0,::/0</c> allows everyone. Default <see cref="DefaultAllowedNetworks"/>.
    /// </summary>
    public string AllowedNetworks { get; set; } = DefaultAllowedNetworks;

    /// <summary>The entry that is not a network in CIDR form, naming the setting; empty when none.</summary>
    public IEnumerable<string> Problems() => Parse().Invalid is { } invalid
        ? [OptionsProblems.Setting($"{Section}:{nameof(AllowedNetworks)}", invalid,
            "CIDR 形式のネットワークをカンマ区切りで指定してください（例 10.0.0.0/8,fc00::/7）", "must be networks in CIDR form, comma-separated (e.g. 10.0.0.0/8,fc00::/7).")]
        : [];

    /// <summary>The networks, or the first entry that is not a network in CIDR form.</summary>
    public (IReadOnlyList<IPNetwork> Networks, string? Invalid) Parse()
    {
        var networks = new List<IPNetwork>();
        foreach (var text in AllowedNetworks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(text, out var network))
            {
                return (networks, text);
            }

            networks.Add(network);
        }

        return (networks, null);
    }
}

/// <summary>The rule of <see cref="MetricsOptions"/> on the scraping endpoint.</summary>
public static class MetricsAccess
{
    /// <summary>
    /// True when <paramref name="remote"/> is in one of <paramref name="networks"/>, or is none (an in-process server).
    /// A request a trusted proxy forwarded is judged by the client address it carries (the forwarded-headers middleware
    /// has applied it), so a scrape routed in from outside by mistake is refused.
    /// </summary>
    public static bool Allows(IReadOnlyList<IPNetwork> networks, IPAddress? remote)
    {
        if (remote is null)
        {
            return true;
        }

        var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return networks.Any(n => n.Contains(address));
    }

    /// <summary>Wraps the endpoint: 403 problem details (ja/en) for a caller outside the allowed networks.</summary>
    public static TBuilder RequireAllowedNetwork<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var inner = endpoint.RequestDelegate!;
            IReadOnlyList<IPNetwork>? parsed = null; // once per application: IOptions does not change while it runs
            endpoint.RequestDelegate = async context =>
            {
                var networks = parsed ??= context.RequestServices.GetRequiredService<IOptions<MetricsOptions>>().Value.Parse().Networks;
                if (Allows(networks, context.Connection.RemoteIpAddress))
                {
                    await inner(context);
                    return;
                }

                await Results.Problem(
                    statusCode: StatusCodes.Status403Forbidden,
                    title: "Forbidden",
                    type: "https://readiness.example/problems/403",
                    detail: "この接続元からはメトリクスを取得できません（Readiness:Metrics:AllowedNetworks）。 / Metrics are not served to this client address (Readiness:Metrics:AllowedNetworks).",
                    extensions: new Dictionary<string, object?>
                    {
                        ["errors"] = new[]
                        {
                            new
                            {
                                field = "client address",
                                code = "metrics_not_allowed",
                                messageJa = "この接続元からはメトリクスを取得できません（Readiness:Metrics:AllowedNetworks）。",
                                messageEn = "Metrics are not served to this client address (Readiness:Metrics:AllowedNetworks).",
                            },
                        },
                    }).ExecuteAsync(context);
            };
        });
        return builder;
    }
}

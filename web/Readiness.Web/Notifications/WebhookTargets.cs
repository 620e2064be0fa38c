using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Readiness.Web.Notifications;

/// <summary>The "Readiness:Webhooks" section (env Readiness__Webhooks__AllowedNetworks).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Readiness:Webhooks";

    /// <summary>
    /// Comma-separated CIDR ranges (e.g. "127.0.0.0/8,::1/128") a webhook may reach although they are refused by default
    /// (<see cref="WebhookTargets"/>): a receiver on the same host, tests. Empty by default. Private ranges (10/8,
    /// 172.16/12, 192.168/16, fc00::/7: LGWAN receivers) need no entry.
    /// </summary>
    public string? AllowedNetworks { get; set; }

    /// <summary>
    /// The outbound HTTP proxy webhooks go through (env <c>Readiness__Webhooks__Proxy</c>, e.g.
    /// <c>http://proxy.example.lg.jp:8080</c>): a network whose only way out is its proxy (LGWAN-connected segments).
    /// Empty: webhooks connect directly. Through a proxy the proxy resolves the name, so <see cref="WebhookTargets"/>
    /// checks the receiver's host before each request instead (<see cref="WebhookTargets.CheckThroughProxyAsync"/>),
    /// and redirects are not followed (a redirect would be to a host not checked). A value that is not an absolute
    /// http URL stops start-up.
    /// </summary>
    public string? Proxy { get; set; }

    /// <summary>The values webhooks cannot be sent with, naming the setting and the value in Japanese and English; empty when none.</summary>
    public IEnumerable<string> Problems()
    {
        if (!WebhookTargets.TryParseNetworks(AllowedNetworks, out _))
        {
            yield return Readiness.Hosting.OptionsProblems.Setting($"{Section}:{nameof(AllowedNetworks)}", AllowedNetworks,
                "CIDR 形式の範囲をカンマ区切りで指定してください（例 127.0.0.0/8,::1/128）", "must be CIDR ranges, comma-separated (e.g. 127.0.0.0/8,::1/128).");
        }

        if (!TryParseProxy(Proxy, out _))
        {
            yield return Readiness.Hosting.OptionsProblems.Setting($"{Section}:{nameof(Proxy)}", Proxy,
                "送信用プロキシの http:// で始まる絶対 URL を指定するか、空にしてください（例 http://proxy.example.lg.jp:8080）",
                "must be the outbound proxy's absolute http:// URL (e.g. http://proxy.example.lg.jp:8080), or empty.");
        }
    }

    /// <summary>The proxy's URL; null when none is set; false when the value is not an absolute http:// URL with a host.</summary>
    public static bool TryParseProxy(string? text, out Uri? proxy)
    {
        proxy = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        proxy = uri;
        return true;
    }
}

/// <summary>The webhook's connection was refused because every address of its host is one Readiness does not post to.</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);

/// <summary>
/// Where webhooks may connect. An administrator's URL must not make the server post to itself (loopback: its own
/// admin endpoints), to a cloud's metadata or host service (<see cref="CloudMetadata"/>: 169.254.169.254, Azure's 168.63.129.16, Alibaba's
/// 100.100.100.200, fd00:ec2::254…: credentials), to
/// "any" (0.0.0.0, ::, which reach this host) or to a multicast or broadcast group, also written as IPv4-mapped IPv6
/// (::ffff:127.0.0.1). Checked when the URL is registered (a literal address) and again at every connection
/// (<see cref="ConnectAsync"/>), after name resolution, so a name that resolves to such an address at delivery time
/// (DNS rebinding) is refused too. <see cref="WebhookOptions.AllowedNetworks"/> lifts the rule for listed ranges.
/// </summary>
public sealed class WebhookTargets
{
    /// <summary>
    /// The major clouds' instance metadata and host-service addresses (credentials, the host agent, the VM's DNS and
    /// time): refused as "cloud metadata" whatever range they fall in, IPv6 forms included. The link-local ones are
    /// also refused by the 169.254/16 rule; they are named here so the list is complete and the refusal says why.
    /// </summary>
    public static readonly ImmutableArray<(IPNetwork Network, string Cloud)> CloudMetadata =
    [
        // AWS, Azure, GCP, Oracle (OCI), IBM Cloud VPC, DigitalOcean, Huawei: the instance metadata service
        // (AWS "Access instance metadata", Azure "Azure Instance Metadata Service", GCP "About VM metadata",
        // OCI "Getting Instance Metadata", IBM "About VPC Instance Metadata").
        (IPNetwork.Parse("169.254.169.254/32"), "AWS / Azure / GCP / Oracle / IBM"),
        // AWS Nitro IPv6 endpoints: IMDS, the Amazon DNS server, Amazon Time Sync ("Access instance metadata",
        // "Amazon DNS server", "Set the time for your EC2 instance").
        (IPNetwork.Parse("fd00:ec2::254/128"), "AWS"),
        (IPNetwork.Parse("fd00:ec2::253/128"), "AWS"),
        (IPNetwork.Parse("fd00:ec2::123/128"), "AWS"),
        // Azure WireServer / host agent: VM agent, health probes, DNS ("What is IP address 168.63.129.16?").
        (IPNetwork.Parse("168.63.129.16/32"), "Azure"),
        // GCP metadata server on IPv6-only and dual-stack VMs ("About VM metadata": http://[fd20:ce::254]).
        (IPNetwork.Parse("fd20:ce::254/128"), "GCP"),
        // Alibaba Cloud ECS instance metadata ("Instance metadata": http://100.100.100.200), in the 100.64/10 shared range.
        (IPNetwork.Parse("100.100.100.200/32"), "Alibaba Cloud"),
        // Oracle Cloud's legacy metadata address (OCI "Getting Instance Metadata": 192.0.0.192 for older images).
        (IPNetwork.Parse("192.0.0.192/32"), "Oracle Cloud"),
    ];

    private static readonly (IPNetwork Network, string Ja, string En)[] Refused =
    [
        .. CloudMetadata.Select(m => (m.Network, $"クラウドのメタデータ（{m.Cloud}）", $"cloud metadata ({m.Cloud})")),
        (IPNetwork.Parse("0.0.0.0/8"), "未指定アドレス", "unspecified"),
        (IPNetwork.Parse("127.0.0.0/8"), "ループバック（このサーバー自身）", "loopback (this server)"),
        (IPNetwork.Parse("169.254.0.0/16"), "リンクローカル（クラウドのメタデータ等）", "link-local (e.g. cloud metadata)"),
        (IPNetwork.Parse("224.0.0.0/4"), "マルチキャスト", "multicast"),
        (IPNetwork.Parse("255.255.255.255/32"), "ブロードキャスト", "broadcast"),
        (IPNetwork.Parse("::/128"), "未指定アドレス", "unspecified"),
        (IPNetwork.Parse("::1/128"), "ループバック（このサーバー自身）", "loopback (this server)"),
        (IPNetwork.Parse("fe80::/10"), "リンクローカル（クラウドのメタデータ等）", "link-local (e.g. cloud metadata)"),
        (IPNetwork.Parse("ff00::/8"), "マルチキャスト", "multicast"),
    ];

    private readonly ImmutableArray<IPNetwork> allowed;

    public WebhookTargets(IOptions<WebhookOptions> options)
    {
        if (!TryParseNetworks(options.Value.AllowedNetworks, out allowed))
        {
            throw new OptionsValidationException(WebhookOptions.Section, typeof(WebhookOptions), [.. options.Value.Problems()]);
        }
    }

    /// <summary>Comma-separated CIDR ranges; false when one is not a range.</summary>
    public static bool TryParseNetworks(string? text, out ImmutableArray<IPNetwork> networks)
    {
        var list = new List<IPNetwork>();
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(part, out var network))
            {
                networks = [];
                return false;
            }

            list.Add(network);
        }

        networks = [.. list];
        return true;
    }

    /// <summary>Why Readiness does not post to <paramref name="address"/> (Japanese, English), or null when it may.</summary>
    public (string Ja, string En)? Refusal(IPAddress address)
    {
        // An IPv6 address that carries an IPv4 one reaches it (or may, through a translator): judged as both, and allowed
        // when either form is listed.
        var embedded = EmbeddedIPv4(address);
        if (allowed.Any(n => n.Contains(address) || (embedded is not null && n.Contains(embedded))))
        {
            return null;
        }

        foreach (var (network, ja, en) in Refused)
        {
            foreach (var form in embedded is null ? [address] : new[] { address, embedded })
            {
                if (network.BaseAddress.AddressFamily == form.AddressFamily && network.Contains(form))
                {
                    return (ja, en);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The IPv4 address inside an IPv6 one, or null: IPv4-mapped ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), IPv4-compatible
    /// ::a.b.c.d (§2.5.5.1, deprecated), IPv4-translated ::ffff:0:a.b.c.d (RFC 2765), the NAT64 well-known prefix
    /// 64:ff9b::a.b.c.d (RFC 6052) and 6to4 2002:aabb:ccdd:: (RFC 3056).
    /// </summary>
    public static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        bool Zero(int from, int to) => b.AsSpan(from, to - from).IndexOfAnyExcept((byte)0) < 0;
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return new IPAddress(b.AsSpan(2, 4));
        }

        var last = new IPAddress(b.AsSpan(12, 4));
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && Zero(4, 12))
        {
            return last;
        }

        if (Zero(0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
        {
            return last;
        }

        // ::a.b.c.d, but not :: and ::1, which are IPv6's own unspecified and loopback addresses.
        return Zero(0, 12) && !Zero(12, 15) ? last : null;
    }

    /// <summary>
    /// Before a request through the outbound proxy (<see cref="WebhookOptions.Proxy"/>): the receiver's host, a literal
    /// address or a name this server resolves, must have no address Readiness does not post to. Stricter than a direct
    /// connection, which skips refused addresses: through the proxy, which address it uses is not ours to choose. A name
    /// this server cannot resolve (closed networks often resolve outside names only at the proxy) is left to the
    /// proxy's own rules. Throws <see cref="WebhookTargetRefusedException"/> naming the host, the addresses and the setting.
    /// </summary>
    public async Task CheckThroughProxyAsync(Uri target, CancellationToken cancellationToken)
    {
        var host = target.IdnHost.Trim('[', ']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException)
            {
                return;
            }
        }

        var refused = addresses.Select(a => (Address: a, Reason: Refusal(a))).Where(a => a.Reason is not null).Select(a => $"{a.Address} ({a.Reason!.Value.En})").ToList();
        if (refused.Count > 0)
        {
            throw new WebhookTargetRefusedException(
                $"Refused to post to {target.Host} through the proxy: Readiness does not post to {string.Join(", ", refused)}; a range can be allowed with Readiness:Webhooks:AllowedNetworks.");
        }
    }

    /// <summary>
    /// The webhook client's <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host, skips the refused
    /// addresses, connects to the first of the others that answers. Throws <see cref="WebhookTargetRefusedException"/>
    /// when every address is refused (its message names them and the setting), else the last connection error.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var refused = new List<string>();
        Exception? last = null;
        foreach (var address in addresses)
        {
            if (Refusal(address) is { } reason)
            {
                refused.Add($"{address} ({reason.En})");
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        if (last is not null)
        {
            throw last;
        }

        throw new WebhookTargetRefusedException(
            $"Refused to connect to {host}: {(refused.Count == 0 ? "it has no address" : "Readiness does not post to " + string.Join(", ", refused))}; a range can be allowed with Readiness:Webhooks:AllowedNetworks.");
    }
}

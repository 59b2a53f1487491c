using System.Globalization;
using System.Net;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// One <c>Upstreams:Servers</c> entry as written: plain DNS (<c>address[:port]</c>), DoT
/// (<c>tls://host[:port][#tls-name]</c>, port 853) or DoH (<c>https://host[:port]/path</c>).
/// <see cref="Host"/> is a name or an address literal; a name is resolved through
/// <c>Upstreams:Bootstrap</c>. <see cref="Label"/> is how metrics and logs name it.
/// </summary>
public sealed record UpstreamServer
{
    private UpstreamServer(UpstreamProtocol protocol, string host, int port, IPAddress? address, string label)
    {
        Protocol = protocol;
        Host = host;
        Port = port;
        Address = address;
        Label = label;
    }

    public UpstreamProtocol Protocol { get; }

    /// <summary>The <c>protocol</c> label of its metrics: <c>udp</c> (plain, TCP on truncation included), <c>tls</c> or <c>https</c>.</summary>
    public string ProtocolLabel => Protocol switch
    {
        UpstreamProtocol.Tls => "tls",
        UpstreamProtocol.Https => "https",
        _ => "udp",
    };

    /// <summary>The host as written: a name, or an address literal (without brackets).</summary>
    public string Host { get; }

    public int Port { get; }

    /// <summary>The host's address when it is written as one; null for a name.</summary>
    public IPAddress? Address { get; }

    /// <summary>The name the server's certificate must carry (DoT and DoH): <c>#name</c>, else the host.</summary>
    public string? TlsName { get; private init; }

    /// <summary>The DoH URL; null for the other protocols.</summary>
    public Uri? Url { get; private init; }

    /// <summary>How metrics and logs name it: <c>9.9.9.9:53</c>, <c>tls://dns.quad9.net:853</c>, <c>https://dns.quad9.net/dns-query</c>.</summary>
    public string Label { get; }

    /// <summary>The address and port of a plain server, or of one written with an address.</summary>
    public IPEndPoint? EndPoint => Address is null ? null : new IPEndPoint(Address, Port);

    /// <summary>A plain DNS server at <paramref name="endPoint"/>.</summary>
    public static UpstreamServer Plain(IPEndPoint endPoint) =>
        new(UpstreamProtocol.Plain, endPoint.Address.ToString(), endPoint.Port, endPoint.Address, endPoint.ToString());

    public override string ToString() => Label;

    /// <summary>Reads one entry; false with what is wrong in <paramref name="error"/>.</summary>
    public static bool TryParse(string text, out UpstreamServer server, out string error)
    {
        server = null!;
        error = "";
        text = text.Trim();
        if (text.StartsWith("tls://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseTls(text, out server, out error);
        }

        if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseHttps(text, out server, out error);
        }

        if (text.Contains("://", StringComparison.Ordinal))
        {
            error = $"'{text}': an upstream is an address (9.9.9.9, 127.0.0.1:5353, [2620:fe::fe]:53), tls://host[:port][#name] or https://host/path";
            return false;
        }

        if (!ConfigValue.TryParseEndPoint(text, 53, out IPEndPoint endPoint))
        {
            error = $"'{text}' is not an address with optional port (e.g. 9.9.9.9 or 127.0.0.1:5353); DoT is tls://…, DoH https://…";
            return false;
        }

        server = Plain(endPoint);
        return true;
    }

    private static bool TryParseTls(string text, out UpstreamServer server, out string error)
    {
        server = null!;
        string rest = text["tls://".Length..];
        string? tlsName = null;
        int hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            tlsName = rest[(hash + 1)..];
            rest = rest[..hash];
            if (!IsHostName(tlsName))
            {
                error = $"'{text}': '#{tlsName}' is not a host name to verify the certificate against";
                return false;
            }
        }

        if (rest.EndsWith('/'))
        {
            rest = rest[..^1];
        }

        if (!TrySplitHostPort(rest, 853, out string host, out int port, out IPAddress? address))
        {
            error = $"'{text}': expected tls://host[:port][#name], e.g. tls://dns.quad9.net or tls://9.9.9.9:853#dns.quad9.net";
            return false;
        }

        string verify = tlsName ?? host;
        string label = $"tls://{(address?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host)}:{port.ToString(CultureInfo.InvariantCulture)}"
            + (tlsName is null ? "" : "#" + tlsName);
        server = new UpstreamServer(UpstreamProtocol.Tls, host, port, address, label) { TlsName = verify };
        error = "";
        return true;
    }

    private static bool TryParseHttps(string text, out UpstreamServer server, out string error)
    {
        server = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || url.Scheme != Uri.UriSchemeHttps || url.Host.Length == 0
            || !string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Fragment))
        {
            error = $"'{text}': expected https://host[:port]/path, e.g. https://dns.quad9.net/dns-query";
            return false;
        }

        string host = url.HostNameType == UriHostNameType.IPv6 ? url.Host.Trim('[', ']') : url.Host;
        IPAddress? address = url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 ? IPAddress.Parse(host) : null;
        if (address is null && !IsHostName(host))
        {
            error = $"'{text}': '{host}' is not a host name";
            return false;
        }

        server = new UpstreamServer(UpstreamProtocol.Https, host, url.Port, address, url.AbsoluteUri) { TlsName = host, Url = url };
        error = "";
        return true;
    }

    private static bool TrySplitHostPort(string text, int defaultPort, out string host, out int port, out IPAddress? address)
    {
        host = "";
        port = defaultPort;
        address = null;
        if (ConfigValue.TryParseEndPoint(text, defaultPort, out IPEndPoint endPoint))
        {
            address = endPoint.Address;
            host = endPoint.Address.ToString();
            port = endPoint.Port;
            return true;
        }

        int colon = text.LastIndexOf(':');
        string name = colon < 0 ? text : text[..colon];
        if (colon >= 0 && !(int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535))
        {
            return false;
        }

        if (!IsHostName(name))
        {
            return false;
        }

        host = name.TrimEnd('.').ToLowerInvariant();
        return true;
    }

    /// <summary>Letters, digits, hyphens and dots, labels of 1–63, at most 253 in all; not all digits (that would be an address).</summary>
    private static bool IsHostName(string name)
    {
        name = name.TrimEnd('.');
        if (name.Length is 0 or > 253 || name.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            return false;
        }

        foreach (string label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }
}

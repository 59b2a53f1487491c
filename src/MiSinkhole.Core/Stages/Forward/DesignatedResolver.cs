using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Discovery of Designated Resolvers (RFC 9462): while the encrypted listeners are on, the
/// question <c>_dns.resolver.arpa SVCB</c> is answered here with one SVCB record (RFC 9460) per
/// listener port: DoT (<c>alpn=dot</c>, priority 1) and DoH (<c>alpn=h2</c>,
/// <c>dohpath=/dns-query{?dns}</c>, priority 2), each with its <c>port</c> and, when the listener
/// is bound to a specific address, its <c>ipv4hint</c>/<c>ipv6hint</c>. The target is
/// <c>Dns:Tls:ServerName</c> (the name a verifying client checks the certificate for), or the
/// root (".": the owner itself, §4.2's opportunistic case) without one. Other types at
/// <c>_dns.resolver.arpa</c> get NODATA; the rest of <c>resolver.arpa</c> is a local zone
/// (<see cref="LocalZones"/>), never asked upstream (§6.4).
/// </summary>
public sealed class DesignatedResolver
{
    /// <summary>TTL of the designation records.</summary>
    internal const uint Ttl = 300;

    private const ushort Alpn = 1, Port = 3, Ipv4Hint = 4, Ipv6Hint = 6, DohPath = 7;

    private static readonly byte[] Owner = DnsName.FromText("_dns.resolver.arpa");
    private volatile byte[][] _records = [];

    /// <summary>Whether there is anything to designate (an encrypted listener is bound).</summary>
    public bool Enabled => _records.Length > 0;

    /// <summary>Sets the endpoints the listeners are bound to (ports resolved); empty lists: DDR off.</summary>
    public void Designate(IReadOnlyList<IPEndPoint> dot, IReadOnlyList<IPEndPoint> doh, string? serverName)
    {
        byte[] target = serverName is null ? [0] : DnsName.FromText(serverName);
        var records = new List<byte[]>();
        foreach (IGrouping<int, IPEndPoint> port in dot.GroupBy(e => e.Port))
        {
            records.Add(Record(1, target, "dot"u8, (ushort)port.Key, port, null));
        }

        foreach (IGrouping<int, IPEndPoint> port in doh.GroupBy(e => e.Port))
        {
            records.Add(Record(2, target, "h2"u8, (ushort)port.Key, port, "/dns-query{?dns}"));
        }

        _records = [.. records];
    }

    /// <summary>The answer for <c>_dns.resolver.arpa</c> (lowercase wire form) while enabled; null for any other name or when off.</summary>
    public DnsAnswer? TryAnswer(ReadOnlySpan<byte> lowerName, ushort type, ushort @class)
    {
        byte[][] records = _records;
        if (records.Length == 0 || !lowerName.SequenceEqual(Owner))
        {
            return null;
        }

        bool answers = type == DnsRecordType.SVCB && @class == DnsRecordType.ClassIN;
        int size = DnsHeader.Size + Owner.Length + 4 + (answers ? records.Sum(r => 12 + r.Length) : 0);
        byte[] message = new byte[size];
        int position = DnsHeader.Size;
        Owner.CopyTo(message, position);
        position += Owner.Length;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(position), type);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(position + 2), @class);
        position += 4;
        if (answers)
        {
            foreach (byte[] rdata in records)
            {
                Span<byte> record = message.AsSpan(position);
                BinaryPrimitives.WriteUInt16BigEndian(record, 0xC000 | DnsHeader.Size); // the question's name
                BinaryPrimitives.WriteUInt16BigEndian(record[2..], DnsRecordType.SVCB);
                BinaryPrimitives.WriteUInt16BigEndian(record[4..], DnsRecordType.ClassIN);
                BinaryPrimitives.WriteUInt32BigEndian(record[6..], Ttl);
                BinaryPrimitives.WriteUInt16BigEndian(record[10..], (ushort)rdata.Length);
                rdata.CopyTo(record[12..]);
                position += 12 + rdata.Length;
            }
        }

        DnsHeader.WriteFlags(message, (ushort)(DnsHeader.QrFlag | DnsHeader.AaFlag | DnsHeader.RdFlag | DnsHeader.RaFlag));
        DnsHeader.WriteCount(message, DnsSection.Question, 1);
        DnsHeader.WriteCount(message, DnsSection.Answer, (ushort)(answers ? records.Length : 0));
        return DnsAnswer.TryParse(message, lowerName, type, @class);
    }

    /// <summary>One SVCB RDATA: priority, target (uncompressed, RFC 9460 §2.2), parameters in key order.</summary>
    private static byte[] Record(ushort priority, byte[] target, ReadOnlySpan<byte> alpn, ushort port, IEnumerable<IPEndPoint> bound, string? dohPath)
    {
        var rdata = new List<byte>();
        Add16(rdata, priority);
        rdata.AddRange(target);
        Parameter(rdata, Alpn, [(byte)alpn.Length, .. alpn]);
        Parameter(rdata, Port, [(byte)(port >> 8), (byte)port]);
        IPAddress[] specific = [.. bound.Select(e => e.Address).Where(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any)).Distinct()];
        byte[] v4 = [.. specific.Where(a => a.AddressFamily == AddressFamily.InterNetwork).SelectMany(a => a.GetAddressBytes())];
        byte[] v6 = [.. specific.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6).SelectMany(a => a.GetAddressBytes())];
        if (v4.Length > 0)
        {
            Parameter(rdata, Ipv4Hint, v4);
        }

        if (v6.Length > 0)
        {
            Parameter(rdata, Ipv6Hint, v6);
        }

        if (dohPath is not null)
        {
            Parameter(rdata, DohPath, Encoding.UTF8.GetBytes(dohPath));
        }

        return [.. rdata];
    }

    private static void Parameter(List<byte> rdata, ushort key, ReadOnlySpan<byte> value)
    {
        Add16(rdata, key);
        Add16(rdata, (ushort)value.Length);
        rdata.AddRange(value);
    }

    private static void Add16(List<byte> bytes, ushort value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}

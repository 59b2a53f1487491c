using System.Text;
using MiSinkhole.Core.Net;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Devices;

/// <summary>Reverse DNS for client names: the PTR question for an address, and the name in the answer.</summary>
internal static class PtrNames
{
    /// <summary>
    /// The reverse-lookup name of an address: <c>4.3.2.1.in-addr.arpa</c> for 1.2.3.4, 32
    /// reversed nibbles under <c>ip6.arpa</c> for IPv6.
    /// </summary>
    internal static string ReverseName(in ClientAddress address)
    {
        var sb = new StringBuilder(73);
        if (address.IsIPv4)
        {
            uint bits = (uint)address.Bits;
            for (int i = 0; i < 4; i++)
            {
                sb.Append((bits >> (8 * i)) & 0xFF).Append('.');
            }

            return sb.Append("in-addr.arpa").ToString();
        }

        for (int i = 0; i < 32; i++)
        {
            sb.Append("0123456789abcdef"[(int)(address.Bits >> (4 * i)) & 0xF]).Append('.');
        }

        return sb.Append("ip6.arpa").ToString();
    }

    /// <summary>The target of the first PTR record in the answer section, as dotted text; null when there is none.</summary>
    internal static string? ReadPtr(DnsAnswer answer)
    {
        ReadOnlySpan<byte> message = answer.Message;
        Span<byte> target = stackalloc byte[DnsConstants.MaxNameLength];
        int position = DnsHeader.Size + answer.QuestionLength;
        for (int i = 0; i < answer.AnswerCount; i++)
        {
            if (!DnsQueryParser.TrySkipRecord(message, ref position, out ushort type, out int rdataOffset, out _))
            {
                return null;
            }

            // A CNAME first (RFC 2317 classless delegation) is followed by the PTR it leads to.
            if (type == DnsRecordType.PTR && DnsName.TryRead(message, rdataOffset, target, out _, out int length) && length > 1)
            {
                return DnsName.ToText(target[..length]);
            }
        }

        return null;
    }
}

using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// An upstream UDP answer larger than the receive buffer arrives cut (the kernel keeps only what
/// fits). Its header and question are still whole, so it can be validated like any answer and
/// read as what it is: a truncated answer, which the resolver retries over TCP at once instead of
/// waiting for an answer that will never parse.
/// </summary>
internal static class CutAnswer
{
    /// <summary>
    /// The cut answer's header and question as an answer with TC=1 and no records; null when what is
    /// left is not a response to this question (then it is ignored, like any stray datagram).
    /// </summary>
    public static DnsAnswer? Parse(ReadOnlySpan<byte> prefix, byte[] name, ushort type, ushort @class)
    {
        if (prefix.Length < DnsHeader.Size || !DnsName.TrySkip(prefix, DnsHeader.Size, out int afterName) || afterName + 4 > prefix.Length)
        {
            return null;
        }

        byte[] message = prefix[..(afterName + 4)].ToArray();
        DnsHeader.WriteFlags(message, (ushort)(DnsHeader.ReadFlags(message) | DnsHeader.TcFlag));
        DnsHeader.WriteCount(message, DnsSection.Answer, 0);
        DnsHeader.WriteCount(message, DnsSection.Authority, 0);
        DnsHeader.WriteCount(message, DnsSection.Additional, 0);
        return DnsAnswer.TryParse(message, name, type, @class);
    }
}

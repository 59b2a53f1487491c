using System.Buffers.Binary;
using System.Security.Cryptography;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>Builds the query we send upstream: fresh random ID, RD, the client's CD, our OPT with its DO.</summary>
public static class UpstreamQuery
{
    public static ushort NewId()
    {
        Span<byte> random = stackalloc byte[2];
        RandomNumberGenerator.Fill(random);
        return BinaryPrimitives.ReadUInt16BigEndian(random);
    }

    public static byte[] Build(ushort id, ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        var message = new byte[DnsHeader.Size + lowerName.Length + 4 + 11];
        DnsHeader.WriteId(message, id);
        DnsHeader.WriteFlags(message, (ushort)(DnsHeader.RdFlag | (checkingDisabled ? DnsHeader.CdFlag : 0)));
        DnsHeader.WriteCount(message, DnsSection.Question, 1);
        DnsHeader.WriteCount(message, DnsSection.Additional, 1);
        lowerName.CopyTo(message.AsSpan(DnsHeader.Size));
        int position = DnsHeader.Size + lowerName.Length;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(position), type);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(position + 2), @class);
        position += 4;
        message[position] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(position + 1), DnsRecordType.OPT);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(position + 3), DnsConstants.OurEdnsPayloadSize);
        message[position + 7] = dnssecOk ? (byte)0x80 : (byte)0;
        return message;
    }
}

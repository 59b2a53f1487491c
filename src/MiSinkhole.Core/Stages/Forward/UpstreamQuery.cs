using System.Buffers.Binary;
using System.Security.Cryptography;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Builds the query we send upstream: fresh random ID, RD, the client's CD, our OPT with its DO;
/// over an encrypted transport padded (EDNS option 12, RFC 7830) to a multiple of
/// <see cref="EncryptedPadBlock"/> bytes, as RFC 8467 recommends for queries, so the length of
/// what travels encrypted does not give the name away.
/// </summary>
public static class UpstreamQuery
{
    /// <summary>RFC 8467 §4.1: pad queries to the closest multiple of 128 octets.</summary>
    public const int EncryptedPadBlock = 128;

    private const ushort PaddingOption = 12;

    public static ushort NewId()
    {
        Span<byte> random = stackalloc byte[2];
        RandomNumberGenerator.Fill(random);
        return BinaryPrimitives.ReadUInt16BigEndian(random);
    }

    public static byte[] Build(ushort id, ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, int padBlock = 0)
    {
        var message = new byte[Size(lowerName.Length, padBlock)];
        Write(message, id, lowerName, type, @class, dnssecOk, checkingDisabled);
        return message;
    }

    /// <summary>The query's length for a name of <paramref name="nameLength"/> bytes, padded to a multiple of <paramref name="padBlock"/> (0: not padded).</summary>
    public static int Size(int nameLength, int padBlock = 0)
    {
        int length = DnsHeader.Size + nameLength + 4 + 11;
        return padBlock > 0 ? length + 4 + ((padBlock - ((length + 4) % padBlock)) % padBlock) : length;
    }

    /// <summary>
    /// Writes the query into <paramref name="message"/>, which is exactly <see cref="Size"/> long
    /// and zeroed; any room past the OPT record's fixed part is the padding option.
    /// </summary>
    public static void Write(Span<byte> message, ushort id, ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        int length = DnsHeader.Size + lowerName.Length + 4 + 11;
        int padding = message.Length - length - 4; // option data after its 4-byte header; -4: no option
        DnsHeader.WriteId(message, id);
        DnsHeader.WriteFlags(message, (ushort)(DnsHeader.RdFlag | (checkingDisabled ? DnsHeader.CdFlag : 0)));
        DnsHeader.WriteCount(message, DnsSection.Question, 1);
        DnsHeader.WriteCount(message, DnsSection.Additional, 1);
        lowerName.CopyTo(message[DnsHeader.Size..]);
        int position = DnsHeader.Size + lowerName.Length;
        BinaryPrimitives.WriteUInt16BigEndian(message[position..], type);
        BinaryPrimitives.WriteUInt16BigEndian(message[(position + 2)..], @class);
        position += 4;
        message[position] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message[(position + 1)..], DnsRecordType.OPT);
        BinaryPrimitives.WriteUInt16BigEndian(message[(position + 3)..], DnsConstants.OurEdnsPayloadSize);
        message[position + 7] = dnssecOk ? (byte)0x80 : (byte)0;
        if (padding >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(message[(position + 9)..], (ushort)(4 + padding)); // RDLENGTH
            BinaryPrimitives.WriteUInt16BigEndian(message[(position + 11)..], PaddingOption);
            BinaryPrimitives.WriteUInt16BigEndian(message[(position + 13)..], (ushort)padding); // then zeros
        }
    }
}

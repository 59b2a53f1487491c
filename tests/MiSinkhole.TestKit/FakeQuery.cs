using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace MiSinkhole.TestKit;

/// <summary>A query the fake upstream received, decoded just enough for assertions.</summary>
public sealed record FakeQuery(byte[] Raw, string Name, ushort Type, ushort Id, bool DnssecOk, bool CheckingDisabled, bool HasEdns, bool Tcp, IPEndPoint From)
{
    public static FakeQuery Parse(byte[] raw, bool tcp, IPEndPoint from)
    {
        int position = 12;
        var name = new StringBuilder();
        while (raw[position] != 0)
        {
            int length = raw[position];
            if (name.Length > 0)
            {
                name.Append('.');
            }

            name.Append(Encoding.ASCII.GetString(raw, position + 1, length));
            position += 1 + length;
        }

        position++;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(position));
        position += 4;
        bool hasEdns = BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(10)) > 0 && raw.Length >= position + 11 && raw[position] == 0
            && BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(position + 1)) == 41;
        bool dnssecOk = hasEdns && (raw[position + 7] & 0x80) != 0;
        bool cd = (raw[3] & 0x10) != 0;
        return new FakeQuery(raw, name.ToString(), type, BinaryPrimitives.ReadUInt16BigEndian(raw), dnssecOk, cd, hasEdns, tcp, from);
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace MiSinkhole.TestKit;

/// <summary>
/// Builds DNS messages byte by byte for tests, deliberately without the daemon's own writer, so
/// tests can also build what no correct writer would (lying counts, pointer loops, odd flags).
/// Record owner names are written as a pointer to the question (0xC00C) unless given.
/// </summary>
public sealed class RawMessage
{
    private readonly List<byte> _bytes = [];
    private int _answers;
    private int _authority;
    private int _additional;
    private int _questionEnd;

    private RawMessage()
    {
    }

    public static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (string label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    /// <summary>One EDNS option as it goes in an OPT record's data: code, length, data (for <see cref="Query"/>'s options).</summary>
    public static byte[] EdnsOption(ushort code, byte[] data)
    {
        byte[] option = new byte[4 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(option, code);
        BinaryPrimitives.WriteUInt16BigEndian(option.AsSpan(2), (ushort)data.Length);
        data.CopyTo(option, 4);
        return option;
    }

    /// <summary>A query: RD set, optional OPT (payload, DO bit, EDNS version, raw options).</summary>
    public static byte[] Query(string name, ushort type, ushort id = 0x1234, bool edns = false, ushort payload = 1232, bool dnssecOk = false,
        bool checkingDisabled = false, byte ednsVersion = 0, byte[]? ednsOptions = null, ushort flags = 0x0100)
    {
        RawMessage m = Header(id, (ushort)(flags | (checkingDisabled ? 0x0010 : 0)));
        m.Question(name, type);
        if (edns)
        {
            m.Opt(payload, dnssecOk, ednsVersion, ednsOptions ?? []);
        }

        return m.ToArray();
    }

    public static RawMessage Header(ushort id, ushort flags)
    {
        var m = new RawMessage();
        m.U16(id).U16(flags).U16(0).U16(0).U16(0).U16(0);
        return m;
    }

    /// <summary>A response to <paramref name="query"/> (its ID and question copied), QR RD RA set.</summary>
    public static RawMessage ResponseTo(ReadOnlySpan<byte> query, int rcode = 0, bool truncated = false, ushort? id = null)
    {
        ushort flags = (ushort)(0x8000 | 0x0100 | 0x0080 | (truncated ? 0x0200 : 0) | rcode);
        RawMessage m = Header(id ?? BinaryPrimitives.ReadUInt16BigEndian(query), flags);
        int end = 12;
        while (query[end] != 0)
        {
            end += 1 + query[end];
        }

        end += 5;
        m._bytes.AddRange(query[12..end].ToArray());
        m.SetCount(0, 1);
        m._questionEnd = m._bytes.Count;
        return m;
    }

    public RawMessage Question(string name, ushort type, ushort @class = 1)
    {
        _bytes.AddRange(Name(name));
        U16(type).U16(@class);
        SetCount(0, 1);
        _questionEnd = _bytes.Count;
        return this;
    }

    public RawMessage A(string? owner, uint ttl, string address) => Record(owner, 1, ttl, IPAddress.Parse(address).GetAddressBytes(), 1);

    public RawMessage Aaaa(string? owner, uint ttl, string address) => Record(owner, 28, ttl, IPAddress.Parse(address).GetAddressBytes(), 1);

    public RawMessage Cname(string? owner, uint ttl, string target) => Record(owner, 5, ttl, Name(target), 1);

    public RawMessage Txt(string? owner, uint ttl, string text)
    {
        byte[] data = Encoding.ASCII.GetBytes(text);
        return Record(owner, 16, ttl, [(byte)data.Length, .. data], 1);
    }

    public RawMessage Soa(string? owner, uint ttl, uint minimum, int section = 2)
    {
        byte[] rdata = [.. Name("ns.example"), .. Name("hostmaster.example"), 0, 0, 0, 1, 0, 0, 14, 16, 0, 0, 7, 8, 0, 9, 58, 128,
            (byte)(minimum >> 24), (byte)(minimum >> 16), (byte)(minimum >> 8), (byte)minimum];
        return Record(owner, 6, ttl, rdata, section);
    }

    public RawMessage Opt(ushort payload = 1232, bool dnssecOk = false, byte version = 0, byte[]? options = null)
    {
        options ??= [];
        _bytes.Add(0);
        U16(41).U16(payload);
        _bytes.Add(0);
        _bytes.Add(version);
        _bytes.Add(dnssecOk ? (byte)0x80 : (byte)0);
        _bytes.Add(0);
        U16((ushort)options.Length);
        _bytes.AddRange(options);
        SetCount(3, ++_additional);
        return this;
    }

    /// <summary>Adds a record; section 1 = answer, 2 = authority, 3 = additional.</summary>
    public RawMessage Record(string? owner, ushort type, uint ttl, byte[] rdata, int section)
    {
        if (owner is null)
        {
            U16(0xC00C);
        }
        else
        {
            _bytes.AddRange(Name(owner));
        }

        U16(type).U16(1);
        _bytes.Add((byte)(ttl >> 24));
        _bytes.Add((byte)(ttl >> 16));
        _bytes.Add((byte)(ttl >> 8));
        _bytes.Add((byte)ttl);
        U16((ushort)rdata.Length);
        _bytes.AddRange(rdata);
        int count = section switch { 1 => ++_answers, 2 => ++_authority, _ => ++_additional };
        SetCount(section, count);
        return this;
    }

    public RawMessage Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public RawMessage SetCount(int section, int count)
    {
        _bytes[4 + (2 * section)] = (byte)(count >> 8);
        _bytes[5 + (2 * section)] = (byte)count;
        return this;
    }

    public int QuestionEnd => _questionEnd;

    public byte[] ToArray() => [.. _bytes];

    private RawMessage U16(ushort value)
    {
        _bytes.Add((byte)(value >> 8));
        _bytes.Add((byte)value);
        return this;
    }
}

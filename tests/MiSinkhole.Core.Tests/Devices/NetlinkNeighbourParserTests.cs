using System.Net;
using System.Runtime.InteropServices;
using MiSinkhole.Core.Devices;
using static MiSinkhole.Core.Devices.NetlinkNeighbourParser;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>
/// rtnetlink neighbour dumps: a real capture from this machine (Data/netlink-neigh-dump.vm.hex) and
/// messages built byte by byte. Netlink headers are in host byte order; the captures and literals
/// here are little-endian.
/// </summary>
[TestClass]
public sealed class NetlinkNeighbourParserTests
{
    /// <summary>
    /// An RTM_NEWNEIGH for a phone's IPv6 privacy address, field by field as the kernel sends it
    /// (struct nlmsghdr, struct ndmsg, then struct rtattr + data, each padded to 4 bytes).
    /// </summary>
    private static readonly byte[] PrivacyAddressReachable =
    [
        // nlmsghdr
        0x3C, 0x00, 0x00, 0x00, // nlmsg_len = 60: 16 header + 12 ndmsg + 20 NDA_DST + 12 NDA_LLADDR (10, padded)
        0x1C, 0x00,             // nlmsg_type = RTM_NEWNEIGH (28)
        0x02, 0x00,             // nlmsg_flags = NLM_F_MULTI (part of a dump)
        0x01, 0x00, 0x00, 0x00, // nlmsg_seq = 1, the request's
        0x4B, 0x65, 0x00, 0x00, // nlmsg_pid = 25931, the port id the kernel gave our socket

        // ndmsg
        0x0A,                   // ndm_family = AF_INET6 (10)
        0x00, 0x00, 0x00,       // ndm_pad1, ndm_pad2
        0x03, 0x00, 0x00, 0x00, // ndm_ifindex = 3 (say wlan0)
        0x02, 0x00,             // ndm_state = NUD_REACHABLE (0x02)
        0x00,                   // ndm_flags = none
        0x01,                   // ndm_type = RTN_UNICAST

        // rtattr NDA_DST: 2001:db8:1:0:a1b2:c3d4:e5f6:789 (a temporary address, random interface id)
        0x14, 0x00,             // rta_len = 20: 4 header + 16 address
        0x01, 0x00,             // rta_type = NDA_DST (1)
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x01, 0x00, 0x00, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x89,

        // rtattr NDA_LLADDR: 64:90:c1:2d:e5:3a, the phone's Wi-Fi MAC
        0x0A, 0x00,             // rta_len = 10: 4 header + 6 address
        0x02, 0x00,             // rta_type = NDA_LLADDR (2)
        0x64, 0x90, 0xC1, 0x2D, 0xE5, 0x3A,
        0x00, 0x00,             // padding to a multiple of 4
    ];

    /// <summary>The same message, ndm_state = NUD_FAILED (0x20): the phone stopped answering; its old MAC must not be used.</summary>
    private static readonly byte[] PrivacyAddressFailed = WithState(PrivacyAddressReachable, NudFailed);

    private static readonly byte[] DoneMessage =
    [
        0x14, 0x00, 0x00, 0x00, // nlmsg_len = 20
        0x03, 0x00,             // nlmsg_type = NLMSG_DONE (3)
        0x02, 0x00,             // nlmsg_flags = NLM_F_MULTI
        0x01, 0x00, 0x00, 0x00, // nlmsg_seq
        0x4B, 0x65, 0x00, 0x00, // nlmsg_pid
        0x00, 0x00, 0x00, 0x00, // the dump's status: 0
    ];

    /// <summary>The captured dump, one netlink message per element.</summary>
    internal static List<byte[]> ReadCapture() =>
        ProcNetArpParserTests.ReadData("netlink-neigh-dump.vm.hex")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(Convert.FromHexString)
            .ToList();

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] WithState(byte[] message, ushort state)
    {
        byte[] copy = (byte[])message.Clone();
        MemoryMarshal.Write(copy.AsSpan(HeaderSize + 8), state);
        return copy;
    }

    /// <summary>An RTM_NEWNEIGH in host byte order; null attributes are left out.</summary>
    private static byte[] Neighbour(byte family, ushort state, byte[]? destination, byte[]? linkLayer)
    {
        var payload = new List<byte> { family, 0, 0, 0, 2, 0, 0, 0 };
        payload.AddRange(BitConverter.GetBytes(state));
        payload.AddRange([0, 1]);
        foreach ((ushort type, byte[]? data) in new[] { (NdaDst, destination), (NdaLladdr, linkLayer) })
        {
            if (data is not null)
            {
                payload.AddRange(BitConverter.GetBytes((ushort)(4 + data.Length)));
                payload.AddRange(BitConverter.GetBytes(type));
                payload.AddRange(data);
                payload.AddRange(new byte[(4 - (data.Length % 4)) % 4]);
            }
        }

        return Message(RtmNewNeigh, [.. payload]);
    }

    private static byte[] Message(ushort type, byte[] payload)
    {
        byte[] message = new byte[HeaderSize + payload.Length];
        MemoryMarshal.Write(message, (uint)message.Length);
        MemoryMarshal.Write(message.AsSpan(4), type);
        MemoryMarshal.Write(message.AsSpan(6), (ushort)2);
        payload.CopyTo(message, HeaderSize);
        return message;
    }

    [TestInitialize]
    public void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            Assert.Inconclusive("The captured and literal messages are little-endian netlink headers");
        }
    }

    [TestMethod]
    public void CapturedDump_ContainsIPv4AndIPv6Neighbours_OnlyTheUsableOneIsKept()
    {
        List<byte[]> messages = ReadCapture();
        // What the capture holds (as `ip neigh` showed it): family and state of each neighbour.
        var seen = messages.Where(m => MemoryMarshal.Read<ushort>(m.AsSpan(4)) == RtmNewNeigh)
            .Select(m => (Family: m[HeaderSize], State: MemoryMarshal.Read<ushort>(m.AsSpan(HeaderSize + 8))))
            .ToList();
        CollectionAssert.AreEqual(
            new[] { (AfInet, NudStale), (AfInet, NudNoArp), (AfInet6, NudFailed), (AfInet6, NudNoArp), (AfInet6, NudNoArp), (AfInet6, NudNoArp), (AfInet6, NudNoArp) },
            seen);

        var entries = new List<NeighbourEntry>();
        NetlinkDumpStatus status = Parse(Concat([.. messages]), entries, out int error);

        Assert.AreEqual(NetlinkDumpStatus.Done, status);
        Assert.AreEqual(0, error);
        // 192.0.2.1 is STALE (usable); 0.0.0.0 on lo and the IPv6 multicast entries (33:33:… MACs)
        // are NOARP; fd00::1 is FAILED and carries no NDA_LLADDR.
        CollectionAssert.AreEqual(new[] { ProcNetArpParserTests.Entry("192.0.2.1", "02:fc:00:00:00:05") }, entries);
    }

    [TestMethod]
    public void CapturedDump_AgreesWithTheProcNetArpCapturedBesideIt()
    {
        IReadOnlyList<NeighbourEntry> netlink = ParseDump(Concat([.. ReadCapture()]));
        IReadOnlyList<NeighbourEntry> proc = ProcNetArpParser.Parse(ProcNetArpParserTests.ReadData("proc-net-arp.vm.txt"));

        CollectionAssert.AreEquivalent(proc.ToArray(), netlink.Where(e => e.Address.IsIPv4).ToArray());
    }

    [TestMethod]
    public void DumpSplitOverDatagrams_IsIncompleteUntilDone()
    {
        var entries = new List<NeighbourEntry>();
        List<byte[]> messages = ReadCapture();
        for (int i = 0; i < messages.Count - 1; i++)
        {
            Assert.AreEqual(NetlinkDumpStatus.Incomplete, Parse(messages[i], entries, out _), $"datagram {i}");
        }

        Assert.AreEqual(NetlinkDumpStatus.Done, Parse(messages[^1], entries, out _));
        Assert.HasCount(1, entries);
    }

    [TestMethod]
    public void HandBuiltIPv6PrivacyAddress_IsKept_AndTheFailedOneSkipped()
    {
        var entries = new List<NeighbourEntry>();

        NetlinkDumpStatus status = Parse(Concat(PrivacyAddressFailed, PrivacyAddressReachable, DoneMessage), entries, out _);

        Assert.AreEqual(NetlinkDumpStatus.Done, status);
        NeighbourEntry entry = entries.Single();
        Assert.IsFalse(entry.Address.IsIPv4);
        Assert.AreEqual(IPAddress.Parse("2001:db8:1:0:a1b2:c3d4:e5f6:789"), entry.Address.ToIPAddress());
        Assert.AreEqual(0, entry.Address.Port);
        Assert.AreEqual("64:90:c1:2d:e5:3a", entry.Mac.ToString());
    }

    [TestMethod]
    [DataRow(NudReachable, true)]
    [DataRow(NudStale, true)]
    [DataRow(NudDelay, true)]
    [DataRow(NudProbe, true)]
    [DataRow(NudPermanent, true)]
    [DataRow((ushort)0, false, DisplayName = "NUD_NONE")]
    [DataRow(NudIncomplete, false)]
    [DataRow(NudFailed, false)]
    [DataRow(NudNoArp, false)]
    public void State_DecidesWhetherTheEntryIsUsable(ushort state, bool kept)
    {
        var entries = new List<NeighbourEntry>();

        Parse(Concat(Neighbour(AfInet, state, [192, 168, 1, 23], [0xa4, 0x50, 0x46, 0x1c, 0x7e, 0x02]), DoneMessage), entries, out _);

        Assert.AreEqual(kept, entries.Count == 1, $"state 0x{state:x2}");
        if (kept)
        {
            Assert.AreEqual(ProcNetArpParserTests.Entry("192.168.1.23", "a4:50:46:1c:7e:02"), entries[0]);
        }
    }

    [TestMethod]
    [DataRow(AfInet, 4, null, DisplayName = "no NDA_LLADDR")]
    [DataRow(AfInet, 4, 0, DisplayName = "empty NDA_LLADDR")]
    [DataRow(AfInet, 4, 8, DisplayName = "8-byte NDA_LLADDR")]
    [DataRow(AfInet6, 16, 20, DisplayName = "InfiniBand 20-byte NDA_LLADDR")]
    [DataRow(AfInet, 4, 6, true, DisplayName = "all-zero NDA_LLADDR")]
    [DataRow(AfInet, 16, 6, DisplayName = "IPv4 entry with a 16-byte NDA_DST")]
    [DataRow(AfInet6, 4, 6, DisplayName = "IPv6 entry with a 4-byte NDA_DST")]
    [DataRow(AfInet, 0, 6, DisplayName = "no NDA_DST")]
    [DataRow((byte)7, 4, 6, DisplayName = "AF_BRIDGE")]
    public void EntryWithoutAUsableAddress_IsSkipped(byte family, int destinationLength, int? linkLayerLength, bool zeroMac = false)
    {
        byte[]? destination = destinationLength == 0 ? null : Enumerable.Range(10, destinationLength).Select(i => (byte)i).ToArray();
        byte[]? linkLayer = linkLayerLength is int n ? Enumerable.Range(zeroMac ? 0 : 1, n).Select(i => zeroMac ? (byte)0 : (byte)i).ToArray() : null;
        var entries = new List<NeighbourEntry>();

        NetlinkDumpStatus status = Parse(Concat(Neighbour(family, NudReachable, destination, linkLayer), PrivacyAddressReachable, DoneMessage), entries, out _);

        Assert.AreEqual(NetlinkDumpStatus.Done, status);
        Assert.AreEqual("64:90:c1:2d:e5:3a", entries.Single().Mac.ToString(), "only the good entry after it");
    }

    [TestMethod]
    public void NlmsgError_IsReportedWithItsErrno_AfterTheEntriesBeforeIt()
    {
        // struct nlmsgerr: int error = -EACCES (13), then the request's header.
        byte[] error = Message(NlmsgError, [.. BitConverter.GetBytes(-13), .. new byte[HeaderSize]]);
        var entries = new List<NeighbourEntry>();

        NetlinkDumpStatus status = Parse(Concat(PrivacyAddressReachable, error, DoneMessage), entries, out int errno);

        Assert.AreEqual(NetlinkDumpStatus.Error, status);
        Assert.AreEqual(13, errno);
        Assert.HasCount(1, entries);
        IOException thrown = Assert.ThrowsExactly<IOException>(() => ParseDump(Concat(PrivacyAddressReachable, error)));
        StringAssert.Contains(thrown.Message, "errno 13");
    }

    [TestMethod]
    public void Acknowledgement_IsNotAnError()
    {
        byte[] ack = Message(NlmsgError, [.. BitConverter.GetBytes(0), .. new byte[HeaderSize]]);

        Assert.HasCount(1, ParseDump(Concat(ack, PrivacyAddressReachable, DoneMessage)));
    }

    [TestMethod]
    public void DoneWithAFailedStatus_IsAnError()
    {
        // An interrupted dump ends with NLMSG_DONE whose status is -EINTR (4).
        var entries = new List<NeighbourEntry>();

        Assert.AreEqual(NetlinkDumpStatus.Error, Parse(Message(NlmsgDone, BitConverter.GetBytes(-4)), entries, out int errno));
        Assert.AreEqual(4, errno);
    }

    [TestMethod]
    public void MessagesAfterDone_AreIgnored()
    {
        var entries = new List<NeighbourEntry>();

        Assert.AreEqual(NetlinkDumpStatus.Done, Parse(Concat(DoneMessage, PrivacyAddressReachable), entries, out _));
        Assert.IsEmpty(entries);
    }

    [TestMethod]
    [DataRow(0u, DisplayName = "length 0")]
    [DataRow(15u, DisplayName = "length shorter than the header")]
    [DataRow(61u, DisplayName = "length past the end")]
    [DataRow(uint.MaxValue, DisplayName = "length 4 GiB")]
    public void BadMessageLength_IsMalformed_NotAnException(uint length)
    {
        byte[] bad = (byte[])PrivacyAddressReachable.Clone();
        MemoryMarshal.Write(bad, length);
        var entries = new List<NeighbourEntry>();

        Assert.AreEqual(NetlinkDumpStatus.Malformed, Parse(bad, entries, out _));
        Assert.IsEmpty(entries);
        Assert.ThrowsExactly<InvalidDataException>(() => ParseDump(bad));
    }

    [TestMethod]
    public void TrailingBytesShorterThanAHeader_AreMalformed()
    {
        Assert.AreEqual(NetlinkDumpStatus.Malformed, Parse(Concat(PrivacyAddressReachable, [1, 2, 3]), new List<NeighbourEntry>(), out _));
    }

    [TestMethod]
    public void BadAttributeLength_SkipsThatEntryOnly()
    {
        byte[] bad = (byte[])PrivacyAddressReachable.Clone();
        bad[HeaderSize + NdmsgSize] = 0xFF; // NDA_DST rta_len 255, past the message
        var entries = new List<NeighbourEntry>();

        Assert.AreEqual(NetlinkDumpStatus.Done, Parse(Concat(bad, Neighbour(AfInet, NudStale, [10, 0, 0, 1], [2, 0, 0, 0, 0, 1]), DoneMessage), entries, out _));
        Assert.AreEqual(ProcNetArpParserTests.Entry("10.0.0.1", "02:00:00:00:00:01"), entries.Single());
    }

    [TestMethod]
    public void NoDone_ParseDumpThrows()
    {
        Assert.ThrowsExactly<InvalidDataException>(() => ParseDump(PrivacyAddressReachable));
    }
}

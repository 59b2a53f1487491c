using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Reads a Linux rtnetlink neighbour dump (the reply to RTM_GETNEIGH with NLM_F_DUMP): the only
/// source that gives IPv6 (NDP) neighbours as well as IPv4, which a phone with privacy addresses
/// needs to be recognised by its MAC. Each message is an nlmsghdr, an ndmsg and route attributes;
/// netlink headers are in host byte order, addresses in network byte order.
/// </summary>
public static class NetlinkNeighbourParser
{
    /// <summary>sizeof(struct nlmsghdr): u32 length, u16 type, u16 flags, u32 sequence, u32 port id.</summary>
    public const int HeaderSize = 16;

    /// <summary>sizeof(struct ndmsg): u8 family, u8 pad, u16 pad, s32 ifindex, u16 state, u8 flags, u8 type.</summary>
    public const int NdmsgSize = 12;

    public const ushort NlmsgNoop = 1;
    public const ushort NlmsgError = 2;
    public const ushort NlmsgDone = 3;
    public const ushort RtmNewNeigh = 28;
    public const ushort RtmGetNeigh = 30;

    public const byte AfInet = 2;
    public const byte AfInet6 = 10;

    public const ushort NdaDst = 1;
    public const ushort NdaLladdr = 2;

    public const ushort NudIncomplete = 0x01;
    public const ushort NudReachable = 0x02;
    public const ushort NudStale = 0x04;
    public const ushort NudDelay = 0x08;
    public const ushort NudProbe = 0x10;
    public const ushort NudFailed = 0x20;
    public const ushort NudNoArp = 0x40;
    public const ushort NudPermanent = 0x80;

    /// <summary>States whose link-layer address can be trusted (the kernel's NUD_VALID without NOARP).</summary>
    private const ushort UsableStates = NudReachable | NudStale | NudDelay | NudProbe | NudPermanent;

    /// <summary>NLA_F_NESTED and NLA_F_NET_BYTEORDER share the attribute type field.</summary>
    private const ushort AttributeTypeMask = 0x3FFF;

    /// <summary>Parses <paramref name="messages"/> into a new list; throws if the reply is not a complete, successful dump.</summary>
    public static IReadOnlyList<NeighbourEntry> ParseDump(ReadOnlySpan<byte> messages)
    {
        var entries = new List<NeighbourEntry>();
        NetlinkDumpStatus status = Parse(messages, entries, out int error);
        return status switch
        {
            NetlinkDumpStatus.Done => entries,
            NetlinkDumpStatus.Error => throw new IOException($"Netlink neighbour dump failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})"),
            NetlinkDumpStatus.Malformed => throw new InvalidDataException("Netlink neighbour dump is malformed"),
            _ => throw new InvalidDataException("Netlink neighbour dump ended before NLMSG_DONE"),
        };
    }

    /// <summary>
    /// Adds the usable IPv4 and IPv6 neighbours in <paramref name="messages"/> (one or more
    /// datagrams of a dump, whole messages) to <paramref name="entries"/>, up to NLMSG_DONE or
    /// NLMSG_ERROR. Entries in state INCOMPLETE, FAILED, NOARP or NONE, other families, and entries
    /// without a 6-byte non-zero NDA_LLADDR are skipped. <paramref name="error"/> is the positive
    /// errno when the result is <see cref="NetlinkDumpStatus.Error"/>, else 0.
    /// </summary>
    public static NetlinkDumpStatus Parse(ReadOnlySpan<byte> messages, ICollection<NeighbourEntry> entries, out int error)
    {
        error = 0;
        while (messages.Length >= HeaderSize)
        {
            uint length = MemoryMarshal.Read<uint>(messages);
            ushort type = MemoryMarshal.Read<ushort>(messages[4..]);
            if (length < HeaderSize || length > (uint)messages.Length)
            {
                return NetlinkDumpStatus.Malformed;
            }

            ReadOnlySpan<byte> payload = messages[HeaderSize..(int)length];
            switch (type)
            {
                case NlmsgDone:
                    // Since Linux 4.x NLMSG_DONE carries the dump's final status (0 or -errno).
                    if (payload.Length >= 4 && MemoryMarshal.Read<int>(payload) < 0)
                    {
                        error = -MemoryMarshal.Read<int>(payload);
                        return NetlinkDumpStatus.Error;
                    }

                    return NetlinkDumpStatus.Done;
                case NlmsgError:
                    // struct nlmsgerr { int error; struct nlmsghdr msg; }: error 0 is an acknowledgement.
                    if (payload.Length < 4)
                    {
                        return NetlinkDumpStatus.Malformed;
                    }

                    int code = MemoryMarshal.Read<int>(payload);
                    if (code != 0)
                    {
                        error = -code;
                        return NetlinkDumpStatus.Error;
                    }

                    break;
                case RtmNewNeigh:
                    if (TryReadNeighbour(payload, out NeighbourEntry entry))
                    {
                        entries.Add(entry);
                    }

                    break;
            }

            int next = Align((int)length);
            messages = next >= messages.Length ? [] : messages[next..];
        }

        return messages.IsEmpty ? NetlinkDumpStatus.Incomplete : NetlinkDumpStatus.Malformed;
    }

    /// <summary>One RTM_NEWNEIGH payload: ndmsg, then rtattrs (u16 length, u16 type, data, padded to 4).</summary>
    private static bool TryReadNeighbour(ReadOnlySpan<byte> payload, out NeighbourEntry entry)
    {
        entry = default;
        if (payload.Length < NdmsgSize)
        {
            return false;
        }

        byte family = payload[0];
        ushort state = MemoryMarshal.Read<ushort>(payload[8..]);
        int addressLength = family switch
        {
            AfInet => 4,
            AfInet6 => 16,
            _ => 0,
        };
        if (addressLength == 0 || (state & UsableStates) == 0 || (state & (NudFailed | NudNoArp | NudIncomplete)) != 0)
        {
            return false;
        }

        ReadOnlySpan<byte> destination = default;
        ReadOnlySpan<byte> linkLayer = default;
        ReadOnlySpan<byte> attributes = payload[Align(NdmsgSize)..];
        while (attributes.Length >= 4)
        {
            ushort attributeLength = MemoryMarshal.Read<ushort>(attributes);
            ushort attributeType = (ushort)(MemoryMarshal.Read<ushort>(attributes[2..]) & AttributeTypeMask);
            if (attributeLength < 4 || attributeLength > attributes.Length)
            {
                return false;
            }

            ReadOnlySpan<byte> data = attributes[4..attributeLength];
            if (attributeType == NdaDst)
            {
                destination = data;
            }
            else if (attributeType == NdaLladdr)
            {
                linkLayer = data;
            }

            int next = Align(attributeLength);
            attributes = next >= attributes.Length ? [] : attributes[next..];
        }

        if (destination.Length != addressLength || linkLayer.Length != 6)
        {
            return false;
        }

        var mac = MacAddress.FromBytes(linkLayer);
        if (mac.Value == 0)
        {
            return false;
        }

        ClientAddress address = family == AfInet
            ? new ClientAddress(BinaryPrimitives.ReadUInt32BigEndian(destination), true, 0)
            : ClientAddress.FromIPv6Bytes(destination, 0);
        entry = new NeighbourEntry(address, mac);
        return true;
    }

    /// <summary>NLMSG_ALIGN / RTA_ALIGN: 4 bytes.</summary>
    private static int Align(int length) => (length + 3) & ~3;
}

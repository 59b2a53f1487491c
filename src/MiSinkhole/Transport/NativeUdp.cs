using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Transport;

/// <summary>
/// sendmsg with IP_PKTINFO / IPV6_PKTINFO on Linux, and the PKTINFO control messages that
/// <see cref="NativeUdpBatch"/> reads and writes, for sockets bound to a wildcard address: we
/// learn which local address each query was sent to and reply from exactly that address (a
/// host with several addresses must not answer from another one). .NET exposes neither the
/// destination address without allocating nor a way to choose the source on send.
/// </summary>
internal static unsafe partial class NativeUdp
{
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int IpPktinfo = 8;
    private const int Ipv6Pktinfo = 50;
    internal const int ControlSize = 128;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Sends <paramref name="datagram"/> to <paramref name="remote"/> from the local address in <paramref name="local"/>.</summary>
    public static int Send(SafeHandle socket, ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> remote, in PacketInfo local)
    {
        byte* control = stackalloc byte[ControlSize];
        new Span<byte>(control, ControlSize).Clear();
        int controlLength = local.IsSet ? WritePacketInfo(control, local) : 0;
        fixed (byte* data = datagram)
        fixed (byte* name = remote)
        {
            var iov = new IoVec { Base = data, Length = (nuint)datagram.Length };
            var header = new MsgHdr
            {
                Name = name,
                NameLength = (uint)remote.Length,
                Iov = &iov,
                IovLength = 1,
                Control = controlLength > 0 ? control : null,
                ControlLength = (nuint)controlLength,
            };
            bool added = false;
            try
            {
                socket.DangerousAddRef(ref added);
                nint sent = sendmsg((int)socket.DangerousGetHandle(), &header, 0);
                return sent < 0 ? -Marshal.GetLastPInvokeError() : (int)sent;
            }
            finally
            {
                if (added)
                {
                    socket.DangerousRelease();
                }
            }
        }
    }

    internal static PacketInfo ReadPacketInfo(byte* control, int length)
    {
        int headerSize = Align(sizeof(nuint) + 8);
        int offset = 0;
        while (offset + headerSize <= length)
        {
            nuint cmsgLength = *(nuint*)(control + offset);
            int level = *(int*)(control + offset + sizeof(nuint));
            int type = *(int*)(control + offset + sizeof(nuint) + 4);
            byte* data = control + offset + headerSize;
            if (level == SolIp && type == IpPktinfo)
            {
                // struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }: addr = header destination
                int ifIndex = *(int*)data;
                uint address = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(data + 8, 4));
                return new PacketInfo(true, true, address, ifIndex);
            }

            if (level == SolIpv6 && type == Ipv6Pktinfo)
            {
                // struct in6_pktinfo { in6_addr addr; unsigned int ifindex; }
                UInt128 address = BinaryPrimitives.ReadUInt128BigEndian(new ReadOnlySpan<byte>(data, 16));
                int ifIndex = *(int*)(data + 16);
                return new PacketInfo(true, false, address, ifIndex);
            }

            if (cmsgLength == 0)
            {
                break;
            }

            offset += Align((int)cmsgLength);
        }

        return default;
    }

    internal static int WritePacketInfo(byte* control, in PacketInfo local)
    {
        int headerSize = Align(sizeof(nuint) + 8);
        int dataLength = local.IsIPv4 ? 12 : 20;
        *(nuint*)control = (nuint)(headerSize + dataLength);
        *(int*)(control + sizeof(nuint)) = local.IsIPv4 ? SolIp : SolIpv6;
        *(int*)(control + sizeof(nuint) + 4) = local.IsIPv4 ? IpPktinfo : Ipv6Pktinfo;
        byte* data = control + headerSize;
        if (local.IsIPv4)
        {
            // ifindex 0 lets routing pick the interface; spec_dst is the source address to use.
            *(int*)data = 0;
            BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(data + 4, 4), (uint)local.LocalAddress);
        }
        else
        {
            BinaryPrimitives.WriteUInt128BigEndian(new Span<byte>(data, 16), local.LocalAddress);
            *(int*)(data + 16) = local.InterfaceIndex;
        }

        return Align(headerSize + dataLength);
    }

    private static int Align(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendmsg(int socket, MsgHdr* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }
}

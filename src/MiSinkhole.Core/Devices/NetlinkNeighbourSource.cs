using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Asks the Linux kernel for its IPv4 and IPv6 neighbour tables over an rtnetlink socket (what
/// <c>ip neigh show</c> does). .NET's <see cref="Socket"/> constructor rejects AF_NETLINK, so the
/// descriptor comes from libc <c>socket()</c> and is then wrapped in a <see cref="Socket"/> for
/// send, receive, timeouts and closing. No bind is needed: the kernel assigns a port id on send.
/// </summary>
public static partial class NetlinkNeighbourSource
{
    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkRoute = 0;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFDump = 0x300;

    /// <summary>
    /// Netlink dump datagrams are at most 32 KiB (the kernel sizes them from the receive buffer,
    /// capped there), so a 64 KiB buffer is never truncated.
    /// </summary>
    private const int ReceiveBufferSize = 64 * 1024;

    /// <summary>A dump of a few thousand neighbours is a handful of datagrams; stop a runaway reply.</summary>
    private const int MaxDatagrams = 4096;

    private static int s_sequence;

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Dumps the neighbour tables and returns the usable entries. When <paramref name="rawReply"/>
    /// is given, the reply datagrams are copied into it as received (for captures). Throws
    /// <see cref="IOException"/>, <see cref="SocketException"/> (including a 2 s timeout) or
    /// <see cref="InvalidDataException"/> on failure, <see cref="PlatformNotSupportedException"/> off Linux.
    /// </summary>
    public static IReadOnlyList<NeighbourEntry> Read(Stream? rawReply = null)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("Netlink is only available on Linux");
        }

        int descriptor = socket(AfNetlink, SockRaw | SockCloexec, NetlinkRoute);
        if (descriptor < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Cannot open a netlink socket: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        var handle = new SafeSocketHandle(descriptor, ownsHandle: true);
        Socket netlink;
        try
        {
            netlink = new Socket(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        using (netlink)
        {
            return Dump(netlink, rawReply);
        }
    }

    private static List<NeighbourEntry> Dump(Socket netlink, Stream? rawReply)
    {
        netlink.ReceiveTimeout = 2000;
        netlink.SendTimeout = 2000;
        netlink.Send(BuildRequest(Interlocked.Increment(ref s_sequence)));

        var entries = new List<NeighbourEntry>();
        byte[] buffer = new byte[ReceiveBufferSize];
        for (int datagrams = 0; datagrams < MaxDatagrams; datagrams++)
        {
            int received = netlink.Receive(buffer);
            if (received <= 0)
            {
                throw new InvalidDataException("Netlink socket returned no data before NLMSG_DONE");
            }

            rawReply?.Write(buffer, 0, received);
            switch (NetlinkNeighbourParser.Parse(buffer.AsSpan(0, received), entries, out int error))
            {
                case NetlinkDumpStatus.Done:
                    return entries;
                case NetlinkDumpStatus.Error:
                    throw new IOException($"Netlink neighbour dump failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})");
                case NetlinkDumpStatus.Malformed:
                    throw new InvalidDataException("Netlink neighbour dump is malformed");
            }
        }

        throw new InvalidDataException($"Netlink neighbour dump did not end within {MaxDatagrams} datagrams");
    }

    /// <summary>
    /// RTM_GETNEIGH with NLM_F_REQUEST | NLM_F_DUMP and an ndmsg of family AF_UNSPEC: the kernel
    /// then dumps every neighbour table (ARP and NDP).
    /// </summary>
    private static byte[] BuildRequest(int sequence)
    {
        const int length = NetlinkNeighbourParser.HeaderSize + NetlinkNeighbourParser.NdmsgSize;
        byte[] request = new byte[length];
        MemoryMarshal.Write(request, (uint)length);
        MemoryMarshal.Write(request.AsSpan(4), NetlinkNeighbourParser.RtmGetNeigh);
        MemoryMarshal.Write(request.AsSpan(6), (ushort)(NlmFRequest | NlmFDump));
        MemoryMarshal.Write(request.AsSpan(8), sequence);
        return request;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);
}

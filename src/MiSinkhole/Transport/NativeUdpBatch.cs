using System.Runtime.InteropServices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Transport;

/// <summary>
/// One receive thread's batch for recvmmsg/sendmmsg on Linux: up to <see cref="Capacity"/>
/// datagrams come in with one system call and the answers that were ready at once go out with
/// one more, instead of a recvmsg and a sendmsg per query (dnsdist does the same; the saving is
/// the per-call entry, descriptor lookup and header copy, and fewer wake-ups of a client that
/// reads many answers). The slots live in native memory allocated once, so the kernel writes
/// into memory the GC never moves; a query is copied into its context (tens of bytes) and an
/// answer out of it. Not thread-safe: one per receive thread.
/// </summary>
internal sealed unsafe partial class NativeUdpBatch : IDisposable
{
    /// <summary>Datagrams per call: enough to drain a burst, small enough that an answer waits only for its batch.</summary>
    public const int Capacity = 32;

    /// <summary>A slot's size: the largest query we read (as the plain path) and the largest answer batched.</summary>
    public const int SlotSize = 4096;

    private const int NameSize = 128; // sockaddr_storage
    private const int ControlSize = NativeUdp.ControlSize;
    private const int MsgWaitForOne = 0x10000;

    private readonly bool _packetInfo;
    private readonly byte* _memory;
    private readonly MMsgHdr* _receive;
    private readonly MMsgHdr* _send;
    private readonly NativeUdp.IoVec* _receiveIov;
    private readonly NativeUdp.IoVec* _sendIov;
    private readonly byte* _receiveData;
    private readonly byte* _sendData;
    private readonly byte* _receiveNames;
    private readonly byte* _sendNames;
    private readonly byte* _receiveControl;
    private readonly byte* _sendControl;
    private int _queued;

    /// <param name="packetInfo">Whether the socket has IP_PKTINFO / IPV6_PKTINFO on (a wildcard listener): then each query's destination is read and each answer sent from it.</param>
    public NativeUdpBatch(bool packetInfo)
    {
        _packetInfo = packetInfo;
        nuint headers = (nuint)(sizeof(MMsgHdr) * Capacity);
        nuint iovs = (nuint)(sizeof(NativeUdp.IoVec) * Capacity);
        nuint perDirection = headers + iovs + (nuint)((SlotSize + NameSize + ControlSize) * Capacity);
        _memory = (byte*)NativeMemory.AlignedAlloc(2 * perDirection, 64);
        NativeMemory.Clear(_memory, 2 * perDirection);
        byte* next = _memory;
        _receive = (MMsgHdr*)next;
        next += headers;
        _send = (MMsgHdr*)next;
        next += headers;
        _receiveIov = (NativeUdp.IoVec*)next;
        next += iovs;
        _sendIov = (NativeUdp.IoVec*)next;
        next += iovs;
        _receiveData = next;
        next += SlotSize * Capacity;
        _sendData = next;
        next += SlotSize * Capacity;
        _receiveNames = next;
        next += NameSize * Capacity;
        _sendNames = next;
        next += NameSize * Capacity;
        _receiveControl = next;
        next += ControlSize * Capacity;
        _sendControl = next;
        for (int i = 0; i < Capacity; i++)
        {
            _receiveIov[i] = new NativeUdp.IoVec { Base = _receiveData + (i * SlotSize), Length = SlotSize };
            _sendIov[i].Base = _sendData + (i * SlotSize);
        }
    }

    /// <summary>Answers queued by <see cref="TryQueue"/> and not yet sent.</summary>
    public int Queued => _queued;

    /// <summary>
    /// Waits for at least one datagram (up to the socket's receive timeout) and takes whatever
    /// else is already queued, up to <see cref="Capacity"/>. Returns how many, 0 on a timeout,
    /// a signal or shutdown.
    /// </summary>
    public int Receive(SafeHandle socket)
    {
        for (int i = 0; i < Capacity; i++)
        {
            ref NativeUdp.MsgHdr header = ref _receive[i].Header;
            header.Name = _receiveNames + (i * NameSize);
            header.NameLength = NameSize;
            header.Iov = _receiveIov + i;
            header.IovLength = 1;
            header.Control = _packetInfo ? _receiveControl + (i * ControlSize) : null;
            header.ControlLength = _packetInfo ? (nuint)ControlSize : 0;
            header.Flags = 0;
            _receive[i].Length = 0;
        }

        bool added = false;
        try
        {
            // Hold a reference so the descriptor cannot be closed (and reused) during the call.
            socket.DangerousAddRef(ref added);
            int received = recvmmsg((int)socket.DangerousGetHandle(), _receive, Capacity, MsgWaitForOne, null);
            return received < 0 ? 0 : received;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>Datagram <paramref name="index"/> of the last <see cref="Receive"/>: its bytes, sender (sockaddr bytes) and destination.</summary>
    public ReadOnlySpan<byte> Received(int index, out ReadOnlySpan<byte> remote, out PacketInfo local)
    {
        ref MMsgHdr message = ref _receive[index];
        remote = new ReadOnlySpan<byte>(message.Header.Name, (int)Math.Min(message.Header.NameLength, NameSize));
        local = _packetInfo ? NativeUdp.ReadPacketInfo(message.Header.Control, (int)message.Header.ControlLength) : default;
        return new ReadOnlySpan<byte>(_receiveData + (index * SlotSize), (int)Math.Min(message.Length, SlotSize));
    }

    /// <summary>
    /// Copies an answer into the next send slot. False when it does not fit a slot (the caller
    /// sends it alone); <see cref="Flush"/> must be called when the batch is full.
    /// </summary>
    public bool TryQueue(ReadOnlySpan<byte> answer, ReadOnlySpan<byte> remote, in PacketInfo local)
    {
        if (answer.Length > SlotSize || remote.Length > NameSize || _queued == Capacity)
        {
            return false;
        }

        int i = _queued++;
        answer.CopyTo(new Span<byte>(_sendData + (i * SlotSize), SlotSize));
        remote.CopyTo(new Span<byte>(_sendNames + (i * NameSize), NameSize));
        _sendIov[i].Length = (nuint)answer.Length;
        ref NativeUdp.MsgHdr header = ref _send[i].Header;
        header.Name = _sendNames + (i * NameSize);
        header.NameLength = (uint)remote.Length;
        header.Iov = _sendIov + i;
        header.IovLength = 1;
        int controlLength = 0;
        if (local.IsSet)
        {
            byte* control = _sendControl + (i * ControlSize);
            new Span<byte>(control, ControlSize).Clear();
            controlLength = NativeUdp.WritePacketInfo(control, local);
            header.Control = control;
        }
        else
        {
            header.Control = null;
        }

        header.ControlLength = (nuint)controlLength;
        header.Flags = 0;
        return true;
    }

    /// <summary>Sends every queued answer. One that fails (the client is gone) is skipped, not retried.</summary>
    public void Flush(SafeHandle socket)
    {
        int offset = 0;
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            int fd = (int)socket.DangerousGetHandle();
            while (offset < _queued)
            {
                int sent = sendmmsg(fd, _send + offset, (uint)(_queued - offset), 0);
                offset += sent > 0 ? sent : 1; // -1: this message failed; go on with the next
            }
        }
        finally
        {
            _queued = 0;
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    public void Dispose() => NativeMemory.AlignedFree(_memory);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int recvmmsg(int socket, MMsgHdr* messages, uint length, int flags, void* timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sendmmsg(int socket, MMsgHdr* messages, uint length, int flags);

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public NativeUdp.MsgHdr Header;
        public uint Length;
    }
}

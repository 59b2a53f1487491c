using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// The Linux exchange: a fresh non-blocking socket per query (socket, sendto) registered with one
/// epoll instance that a dedicated thread waits on; that thread reads, validates and completes the
/// answer, and closes the socket. The continuations (writing and sending the client's answer) run
/// on it too. Measured against .NET's socket engine, this drops its per-socket machinery (safe
/// handle, async context, operation queues, a timer per query): timeouts are a sweep over the
/// pending queries every few milliseconds instead.
/// </summary>
public sealed unsafe partial class EpollUdpExchange : IUdpExchange, IDisposable
{
    private const int AfInet = 2;
    private const int AfInet6 = 10;
    private const int SockDgram = 2;
    private const int SockNonBlock = 0x800;
    private const int SockCloExec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const uint EpollIn = 0x001;
    private const int EAgain = 11;
    private const int MsgTrunc = 0x20;
    private const int MaxEvents = 256;
    private const int SweepMilliseconds = 20;

    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int EventDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int _epoll;
    private readonly ConcurrentDictionary<int, PendingExchange> _pending = new();
    private readonly Thread _thread;
    private volatile bool _stopping;

    public EpollUdpExchange()
    {
        _epoll = epoll_create1(SockCloExec);
        if (_epoll < 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "dns-upstream-epoll" };
        _thread.Start();
    }

    public static bool IsSupported => OperatingSystem.IsLinux();

    public Task<DnsAnswer?> ExchangeAsync(IPEndPoint server, byte[] query, ushort id, byte[] name, ushort type, ushort @class, TimeSpan timeout)
    {
        var exchange = new PendingExchange(server, id, name, type, @class, Environment.TickCount64 + (long)timeout.TotalMilliseconds);
        int family = server.AddressFamily == AddressFamily.InterNetworkV6 ? AfInet6 : AfInet;
        int fd = socket(family, SockDgram | SockNonBlock | SockCloExec, 0);
        if (fd < 0)
        {
            return Task.FromResult<DnsAnswer?>(null);
        }

        exchange.Fd = fd;
        nint sent;
        fixed (byte* data = query)
        fixed (byte* address = exchange.ServerAddress)
        {
            sent = sendto(fd, data, (nuint)query.Length, 0, address, (uint)exchange.ServerAddress.Length);
        }

        if (sent < 0)
        {
            close(fd);
            return Task.FromResult<DnsAnswer?>(null);
        }

        // Registered before epoll can report it, so the poller always finds it.
        _pending[fd] = exchange;
        byte* ev = stackalloc byte[16];
        *(uint*)ev = EpollIn;
        *(ulong*)(ev + EventDataOffset) = (ulong)fd;
        if (epoll_ctl(_epoll, EpollCtlAdd, fd, ev) < 0)
        {
            Finish(exchange, null);
        }

        return exchange.Task;
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        foreach (PendingExchange exchange in _pending.Values)
        {
            Finish(exchange, null);
        }

        close(_epoll);
    }

    private void Run()
    {
        byte* events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * EventSize));
        byte[] buffer = new byte[SocketUdpExchange.AnswerBufferSize];
        byte[] from = new byte[28];
        long nextSweep = Environment.TickCount64 + SweepMilliseconds;
        try
        {
            while (!_stopping)
            {
                int count = epoll_wait(_epoll, events, MaxEvents, SweepMilliseconds);
                for (int i = 0; i < count; i++)
                {
                    int fd = (int)*(ulong*)(events + (i * EventSize) + EventDataOffset);
                    if (_pending.TryGetValue(fd, out PendingExchange? exchange))
                    {
                        Receive(exchange, buffer, from);
                    }
                }

                long now = Environment.TickCount64;
                if (now >= nextSweep)
                {
                    nextSweep = now + SweepMilliseconds;
                    foreach (PendingExchange exchange in _pending.Values)
                    {
                        if (now >= exchange.Deadline)
                        {
                            Finish(exchange, null);
                        }
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    private void Receive(PendingExchange exchange, byte[] buffer, byte[] from)
    {
        while (true)
        {
            nint received;
            uint fromLength = (uint)from.Length;
            fixed (byte* data = buffer)
            fixed (byte* source = from)
            {
                // MSG_TRUNC: the datagram's real length, so an answer larger than the buffer is noticed.
                received = recvfrom(exchange.Fd, data, (nuint)buffer.Length, MsgTrunc, source, &fromLength);
            }

            if (received < 0)
            {
                if (Marshal.GetLastPInvokeError() != EAgain)
                {
                    Finish(exchange, null); // e.g. ICMP port unreachable: the server is down
                }

                return;
            }

            if (exchange.IsFromServer(from.AsSpan(0, (int)fromLength)) && received >= DnsHeader.Size
                && DnsHeader.ReadId(buffer) == exchange.Id
                && (received > buffer.Length
                    ? CutAnswer.Parse(buffer, exchange.Name, exchange.Type, exchange.Class)
                    : DnsAnswer.TryParse(buffer.AsSpan(0, (int)received), exchange.Name, exchange.Type, exchange.Class)) is { } answer)
            {
                Finish(exchange, answer); // a cut one reads as truncated: the resolver asks again over TCP
                return;
            }

            // From someone else, wrong ID or wrong question: stale or spoofed. Keep waiting for ours.
        }
    }

    private void Finish(PendingExchange exchange, DnsAnswer? answer)
    {
        if (_pending.TryRemove(new KeyValuePair<int, PendingExchange>(exchange.Fd, exchange)))
        {
            close(exchange.Fd); // also removes it from the epoll set
            exchange.Complete(answer);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendto(int fd, byte* buffer, nuint length, int flags, byte* address, uint addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvfrom(int fd, byte* buffer, nuint length, int flags, byte* address, uint* addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epoll, int operation, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epoll, byte* events, int maxEvents, int timeout);
}

using System.Net;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>One upstream UDP exchange waiting in <see cref="EpollUdpExchange"/>.</summary>
internal sealed class PendingExchange
{
    private readonly TaskCompletionSource<DnsAnswer?> _completion = new(TaskCreationOptions.None);

    public PendingExchange(IPEndPoint server, ushort id, byte[] name, ushort type, ushort @class, long deadline)
    {
        // The native sockaddr bytes (.NET's SocketAddress buffer is the platform layout).
        SocketAddress address = server.Serialize();
        ServerAddress = address.Buffer[..address.Size].ToArray();
        Id = id;
        Name = name;
        Type = type;
        Class = @class;
        Deadline = deadline;
    }

    public byte[] ServerAddress { get; }

    public int Fd { get; set; }

    public ushort Id { get; }

    public byte[] Name { get; }

    public ushort Type { get; }

    public ushort Class { get; }

    /// <summary>Environment.TickCount64 after which the exchange fails.</summary>
    public long Deadline { get; }

    public Task<DnsAnswer?> Task => _completion.Task;

    /// <summary>Family, port and address equal (sin6 flow info and scope ignored).</summary>
    public bool IsFromServer(ReadOnlySpan<byte> from)
    {
        ReadOnlySpan<byte> server = ServerAddress;
        if (from.Length < 8 || from[0] != server[0] || from[1] != server[1] || !from.Slice(2, 2).SequenceEqual(server.Slice(2, 2)))
        {
            return false;
        }

        return server.Length == 16
            ? from.Slice(4, 4).SequenceEqual(server.Slice(4, 4))
            : from.Length >= 24 && from.Slice(8, 16).SequenceEqual(server.Slice(8, 16));
    }

    public void Complete(DnsAnswer? answer) => _completion.TrySetResult(answer);
}

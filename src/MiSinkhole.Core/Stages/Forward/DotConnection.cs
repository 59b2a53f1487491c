using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// One TLS connection to a DoT upstream (RFC 7858): each query framed by its two-byte length,
/// with a random message ID unique on the connection, which its answer is matched by.
/// </summary>
internal sealed class DotConnection : EncryptedConnection
{
    private DotConnection(Socket socket, SslStream tls)
        : base(socket, tls)
    {
        Start();
    }

    /// <summary>Opens a TCP connection and completes the TLS handshake (name and chain verified by <paramref name="certificates"/>).</summary>
    public static async Task<DotConnection> OpenAsync(UpstreamServer server, BootstrapAddresses? bootstrap, UpstreamCertificates certificates,
        UpstreamTransportMetrics metrics, CancellationToken token)
    {
        (Socket socket, SslStream tls) = await UpstreamTls.ConnectAsync(server, bootstrap, certificates, metrics, applicationProtocol: null, token).ConfigureAwait(false);
        return new DotConnection(socket, tls);
    }

    protected override bool TryNextKey(out uint key)
    {
        ushort id;
        do
        {
            id = UpstreamQuery.NewId();
        }
        while (KeyInUse(id));

        key = id;
        return true;
    }

    protected override OutgoingBytes Encode(PendingQuery pending, bool dnssecOk, bool checkingDisabled)
    {
        int length = UpstreamQuery.Size(pending.Name.Length, UpstreamQuery.EncryptedPadBlock);
        byte[] framed = new byte[2 + length];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)length);
        UpstreamQuery.Write(framed.AsSpan(2), (ushort)pending.Key, pending.Name, pending.Type, pending.Class, dnssecOk, checkingDisabled);
        return new OutgoingBytes(framed);
    }

    protected override int MaxFrame => 2 + ushort.MaxValue;

    protected override int FrameLength(ReadOnlySpan<byte> available) =>
        available.Length < 2 ? -1 : 2 + BinaryPrimitives.ReadUInt16BigEndian(available);

    protected override void OnFrame(ReadOnlySpan<byte> frame)
    {
        ReadOnlySpan<byte> message = frame[2..];
        if (message.Length >= DnsHeader.Size)
        {
            Deliver(DnsHeader.ReadId(message), message);
        }
    }
}

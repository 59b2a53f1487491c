using System.Net.Security;
using System.Threading.Channels;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// The writing half of an <see cref="EncryptedConnection"/>: what is queued is written in order,
/// what waits is coalesced into one TLS write (of at most 16 KiB). Bytes that need more
/// flow-control window than there is wait, in order (HTTP/2 streams must reach the wire in the
/// order of their IDs), while control frames go ahead; <see cref="WindowGrown"/> wakes the loop
/// to try them again.
/// </summary>
internal sealed class EncryptedWriter
{
    private const int MaxCoalesced = 16 * 1024;

    private readonly Channel<OutgoingBytes> _queue = Channel.CreateUnbounded<OutgoingBytes>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SslStream _tls;
    private readonly Func<int, bool> _tryTakeWindow;

    /// <param name="tls">Where the bytes go.</param>
    /// <param name="tryTakeWindow">Whether that many bytes of DATA may be sent now (taking them from the window if so).</param>
    public EncryptedWriter(SslStream tls, Func<int, bool> tryTakeWindow)
    {
        _tls = tls;
        _tryTakeWindow = tryTakeWindow;
    }

    /// <summary>Queues bytes; false once the writer is complete.</summary>
    public bool TrySend(OutgoingBytes bytes) => _queue.Writer.TryWrite(bytes);

    /// <summary>The peer's flow-control window grew: what waited for it is tried again.</summary>
    public void WindowGrown() => _queue.Writer.TryWrite(new OutgoingBytes([]));

    /// <summary>Takes nothing more; the loop ends once it has written what it took.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Writes until <see cref="Complete"/>; throws when a write fails.</summary>
    public async Task RunAsync()
    {
        byte[] buffer = new byte[MaxCoalesced];
        var blocked = new Queue<OutgoingBytes>();
        int length = 0;
        ChannelReader<OutgoingBytes> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (blocked.Count > 0 && _tryTakeWindow(blocked.Peek().FlowControlled))
            {
                length = await AppendAsync(buffer, length, blocked.Dequeue().Bytes).ConfigureAwait(false);
            }

            while (reader.TryRead(out OutgoingBytes next))
            {
                if (next.FlowControlled > 0 && (blocked.Count > 0 || !_tryTakeWindow(next.FlowControlled)))
                {
                    blocked.Enqueue(next);
                    continue;
                }

                length = await AppendAsync(buffer, length, next.Bytes).ConfigureAwait(false);
            }

            if (length > 0)
            {
                await _tls.WriteAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                length = 0;
            }
        }
    }

    /// <summary>Adds <paramref name="bytes"/> to what is coalesced, writing first when they would not fit: the new length.</summary>
    private async ValueTask<int> AppendAsync(byte[] buffer, int length, byte[] bytes)
    {
        if (length + bytes.Length > buffer.Length && length > 0)
        {
            await _tls.WriteAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
            length = 0;
        }

        if (bytes.Length > buffer.Length)
        {
            await _tls.WriteAsync(bytes).ConfigureAwait(false);
            return 0;
        }

        bytes.CopyTo(buffer, length);
        return length + bytes.Length;
    }
}

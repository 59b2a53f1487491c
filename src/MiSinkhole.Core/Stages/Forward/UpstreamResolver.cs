using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Asks the configured upstream servers, in order, over UDP (TCP when the answer is truncated).
/// Each attempt uses a new socket, so the kernel picks a fresh random source port; an answer
/// counts only if it comes from that server's address and port, carries our random ID and
/// echoes our question. A server that times out, fails or answers SERVFAIL/REFUSED hands over to the
/// next; after the overall budget the query fails (SERVFAIL to the client). Identical queries in
/// flight (name, type, class, DO, CD) share one upstream exchange.
/// </summary>
public sealed partial class UpstreamResolver
{
    private readonly UpstreamOptions _options;
    private readonly ILogger<UpstreamResolver> _logger;
    private readonly ConcurrentDictionary<ulong, InFlight> _inFlight = new();
    private readonly IUdpExchange _udp;
    private readonly Counter<long> _exchanges;
    private readonly Histogram<double> _exchangeDuration;
    private readonly Dictionary<IPEndPoint, string> _labels;
    private readonly Dictionary<IPEndPoint, UpstreamHealth> _health;

    public UpstreamResolver(UpstreamOptions options, IUdpExchange udp, ILogger<UpstreamResolver> logger, IMeterFactory meterFactory)
    {
        _options = options;
        _udp = udp;
        _logger = logger;
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        _exchanges = meter.CreateCounter<long>("misinkhole.upstream.queries", description: "Exchanges with upstream servers, by upstream and result.");
        _exchangeDuration = meter.CreateHistogram<double>("misinkhole.upstream.duration", unit: "s", description: "Duration of upstream exchanges, by upstream and result.");
        _labels = options.Servers.Distinct().ToDictionary(s => s, s => s.ToString());
        _health = options.Servers.Distinct().ToDictionary(s => s, _ => new UpstreamHealth());
    }

    /// <summary>Resolves one question; null when every server failed within the budget.</summary>
    public Task<DnsAnswer?> ResolveAsync(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        ulong key = CacheKey.Compute(lowerName, type, @class, dnssecOk, checkingDisabled);
        byte flags = CacheKey.Flags(dnssecOk, checkingDisabled);
        if (_inFlight.TryGetValue(key, out InFlight? running) && running.Matches(lowerName, type, @class, flags))
        {
            return running.Task;
        }

        var mine = new InFlight(lowerName.ToArray(), type, @class, flags);
        if (!_inFlight.TryAdd(key, mine))
        {
            // Someone else started the same exchange a moment ago (or a hash twin is running).
            if (_inFlight.TryGetValue(key, out running) && running.Matches(lowerName, type, @class, flags))
            {
                return running.Task;
            }

            return ExchangeAllAsync(mine.Name, type, @class, dnssecOk, checkingDisabled);
        }

        _ = RunAsync(key, mine, dnssecOk, checkingDisabled);
        return mine.Task;
    }

    private async Task RunAsync(ulong key, InFlight flight, bool dnssecOk, bool checkingDisabled)
    {
        DnsAnswer? answer = null;
        try
        {
            answer = await ExchangeAllAsync(flight.Name, flight.Type, flight.Class, dnssecOk, checkingDisabled).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogExchangeFailed(e); // unexpected: the waiting clients get SERVFAIL
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<ulong, InFlight>(key, flight));
            flight.Complete(answer);
        }
    }

    private async Task<DnsAnswer?> ExchangeAllAsync(byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        long deadline = Environment.TickCount64 + (long)_options.Timeout.TotalMilliseconds;
        foreach (IPEndPoint server in _options.Servers)
        {
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                break;
            }

            TimeSpan timeout = TimeSpan.FromMilliseconds(Math.Min(remaining, _options.AttemptTimeout.TotalMilliseconds));
            ushort id = UpstreamQuery.NewId();
            byte[] query = UpstreamQuery.Build(id, name, type, @class, dnssecOk, checkingDisabled);
            long started = Stopwatch.GetTimestamp();
            string result = "error";
            try
            {
                DnsAnswer? answer = await _udp.ExchangeAsync(server, query, id, name, type, @class, timeout).ConfigureAwait(false);
                if (answer is { Truncated: true })
                {
                    remaining = deadline - Environment.TickCount64;
                    if (remaining <= 0)
                    {
                        result = "truncated";
                        break;
                    }

                    id = UpstreamQuery.NewId();
                    query = UpstreamQuery.Build(id, name, type, @class, dnssecOk, checkingDisabled);
                    timeout = TimeSpan.FromMilliseconds(Math.Min(remaining, _options.AttemptTimeout.TotalMilliseconds));
                    answer = await ExchangeTcpAsync(server, query, id, name, type, @class, timeout).ConfigureAwait(false);
                }

                if (answer is null)
                {
                    result = "timeout";
                    LogAttemptFailed(server, "timeout");
                    NoAnswer(server, "timeout", started);
                    continue;
                }

                Answered(server);

                if (answer.Rcode is DnsResponseCode.ServFail or DnsResponseCode.Refused || answer.ExtendedRcode != 0)
                {
                    result = answer.ExtendedRcode != 0 ? "error" : answer.Rcode == DnsResponseCode.Refused ? "refused" : "servfail";
                    LogAttemptFailed(server, answer.ExtendedRcode != 0 ? "extended RCODE" : answer.Rcode == DnsResponseCode.Refused ? "REFUSED" : "SERVFAIL");
                    continue;
                }

                result = "ok";
                return answer;
            }
            catch (SocketException e)
            {
                result = "error";
                LogAttemptFailed(server, e.SocketErrorCode);
                NoAnswer(server, e.SocketErrorCode.ToString(), started);
            }
            catch (OperationCanceledException)
            {
                result = "timeout";
                LogAttemptFailed(server, "timeout");
                NoAnswer(server, "timeout", started);
            }
            finally
            {
                RecordExchange(_labels.GetValueOrDefault(server) ?? "other", result, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }

        return null;
    }

    /// <summary>An attempt got no answer: once enough have in a row, say (once) that the server is down.</summary>
    private void NoAnswer(IPEndPoint server, string reason, long timestamp)
    {
        if (_health.TryGetValue(server, out UpstreamHealth? health) && health.Failed(timestamp))
        {
            LogDown(server, UpstreamHealth.DownAfter, reason);
        }
    }

    /// <summary>The server answered (also SERVFAIL or REFUSED: it is there): if it was down, say (once) that it is back.</summary>
    private void Answered(IPEndPoint server)
    {
        if (_health.TryGetValue(server, out UpstreamHealth? health) && health.Answered(out long downSince, out int failures))
        {
            TimeSpan down = TimeSpan.FromSeconds(Math.Round(Stopwatch.GetElapsedTime(downSince).TotalSeconds));
            LogUp(server, down, failures);
        }
    }

    private static async Task<DnsAnswer?> ExchangeTcpAsync(IPEndPoint server, byte[] query, ushort id, byte[] name, ushort type, ushort @class, TimeSpan timeout)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(server, cts.Token).ConfigureAwait(false);
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await socket.SendAsync(framed, SocketFlags.None, cts.Token).ConfigureAwait(false);
        byte[] prefix = new byte[2];
        await ReceiveExactlyAsync(socket, prefix, cts.Token).ConfigureAwait(false);
        byte[] buffer = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await ReceiveExactlyAsync(socket, buffer, cts.Token).ConfigureAwait(false);
        return buffer.Length >= DnsHeader.Size && DnsHeader.ReadId(buffer) == id
            ? DnsAnswer.TryParse(buffer, name, type, @class)
            : null;
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            buffer = buffer[read..];
        }
    }

    /// <summary>Records one upstream exchange: result is ok, timeout, servfail, refused, error or truncated.</summary>
    private void RecordExchange(string upstream, string result, double seconds)
    {
        var tags = new TagList { { "upstream", upstream }, { "result", result } };
        _exchanges.Add(1, tags);
        _exchangeDuration.Record(seconds, tags);
    }

    [LoggerMessage(EventId = LogEventIds.Upstreams + 3, Level = LogLevel.Error, Message = "Upstream exchange failed unexpectedly")]
    private partial void LogExchangeFailed(Exception exception);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 1, Level = LogLevel.Debug, Message = "Upstream {Server} failed: {Reason}")]
    private partial void LogAttemptFailed(IPEndPoint server, string reason);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 2, Level = LogLevel.Debug, Message = "Upstream {Server} failed: {Error}")]
    private partial void LogAttemptFailed(IPEndPoint server, SocketError error);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 4, Level = LogLevel.Warning, Message = "Upstream {Server} is not answering ({Attempts} attempts in a row, last: {Reason}): queries go to the next server, or get SERVFAIL when none answers")]
    private partial void LogDown(IPEndPoint server, int attempts, string reason);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 5, Level = LogLevel.Information, Message = "Upstream {Server} answers again (down for {Duration}, {Failures} attempts without an answer)")]
    private partial void LogUp(IPEndPoint server, TimeSpan duration, int failures);
}

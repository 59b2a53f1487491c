using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Asks the configured upstream servers (<see cref="IUpstream"/>: plain DNS, DoT or DoH), in
/// order. An answer counts only if it comes from the server asked, carries our ID and echoes our
/// question (each upstream checks). A server that times out, fails or answers SERVFAIL/REFUSED hands over to the
/// next; after the overall budget the query fails (SERVFAIL to the client). Identical queries in
/// flight (name, type, class, DO, CD) share one upstream exchange.
/// </summary>
public sealed partial class UpstreamResolver
{
    private readonly UpstreamOptions _options;
    private readonly ILogger<UpstreamResolver> _logger;
    private readonly ConcurrentDictionary<ulong, InFlight> _inFlight = new();
    private readonly IUpstream[] _upstreams;
    private readonly Counter<long> _exchanges;
    private readonly Histogram<double> _exchangeDuration;
    private readonly Dictionary<IUpstream, UpstreamHealth> _health;

    public UpstreamResolver(UpstreamOptions options, UpstreamFactory factory, ILogger<UpstreamResolver> logger, IMeterFactory meterFactory)
    {
        _options = options;
        _upstreams = [.. options.Servers.DistinctBy(s => s.Label).Select(factory.Create)];
        _logger = logger;
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        _exchanges = meter.CreateCounter<long>("misinkhole.upstream.queries", description: "Exchanges with upstream servers, by upstream and result.");
        _exchangeDuration = meter.CreateHistogram<double>("misinkhole.upstream.duration", unit: "s", description: "Duration of upstream exchanges, by upstream and result.");
        _health = _upstreams.ToDictionary(u => u, _ => new UpstreamHealth());
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
        foreach (IUpstream upstream in _upstreams)
        {
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                break;
            }

            TimeSpan timeout = TimeSpan.FromMilliseconds(Math.Min(remaining, _options.AttemptTimeout.TotalMilliseconds));
            UpstreamServer server = upstream.Server;
            long started = Stopwatch.GetTimestamp();
            string result = "error";
            try
            {
                DnsAnswer? answer = await upstream.ExchangeAsync(name, type, @class, dnssecOk, checkingDisabled, timeout).ConfigureAwait(false);
                if (answer is null)
                {
                    result = "timeout";
                    LogAttemptFailed(server, "timeout");
                    NoAnswer(upstream, "timeout", started);
                    continue;
                }

                Answered(upstream);

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
                string reason = e.SocketErrorCode.ToString();
                LogAttemptFailed(server, reason);
                NoAnswer(upstream, reason, started);
            }
            catch (OperationCanceledException)
            {
                result = "timeout";
                LogAttemptFailed(server, "timeout");
                NoAnswer(upstream, "timeout", started);
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or HttpRequestException)
            {
                result = "error";
                LogAttemptFailed(server, e.Message);
                NoAnswer(upstream, e.Message, started);
            }
            finally
            {
                RecordExchange(server.Label, server.Protocol, result, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }

        return null;
    }

    /// <summary>An attempt got no answer: once enough have in a row, say (once) that the server is down.</summary>
    private void NoAnswer(IUpstream upstream, string reason, long timestamp)
    {
        if (_health.TryGetValue(upstream, out UpstreamHealth? health) && health.Failed(timestamp))
        {
            LogDown(upstream.Server, UpstreamHealth.DownAfter, reason);
        }
    }

    /// <summary>The server answered (also SERVFAIL or REFUSED: it is there): if it was down, say (once) that it is back.</summary>
    private void Answered(IUpstream upstream)
    {
        if (_health.TryGetValue(upstream, out UpstreamHealth? health) && health.Answered(out long downSince, out int failures))
        {
            TimeSpan down = TimeSpan.FromSeconds(Math.Round(Stopwatch.GetElapsedTime(downSince).TotalSeconds));
            LogUp(upstream.Server, down, failures);
        }
    }

    /// <summary>Records one upstream exchange: result is ok, timeout, servfail, refused or error.</summary>
    private void RecordExchange(string upstream, UpstreamProtocol protocol, string result, double seconds)
    {
        var tags = new TagList { { "upstream", upstream }, { "protocol", Protocols[(int)protocol] }, { "result", result } };
        _exchanges.Add(1, tags);
        _exchangeDuration.Record(seconds, tags);
    }

    /// <summary>The <c>protocol</c> label of each <see cref="UpstreamProtocol"/>.</summary>
    private static readonly string[] Protocols = ["udp", "tls", "https"];

    [LoggerMessage(EventId = LogEventIds.Upstreams + 3, Level = LogLevel.Error, Message = "Upstream exchange failed unexpectedly")]
    private partial void LogExchangeFailed(Exception exception);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 1, Level = LogLevel.Debug, Message = "Upstream {Server} failed: {Reason}")]
    private partial void LogAttemptFailed(UpstreamServer server, string reason);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 4, Level = LogLevel.Warning, Message = "Upstream {Server} is not answering ({Attempts} attempts in a row, last: {Reason}): queries go to the next server, or get SERVFAIL when none answers")]
    private partial void LogDown(UpstreamServer server, int attempts, string reason);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 5, Level = LogLevel.Information, Message = "Upstream {Server} answers again (down for {Duration}, {Failures} attempts without an answer)")]
    private partial void LogUp(UpstreamServer server, TimeSpan duration, int failures);
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Brings upstreams that went down back without clients paying for it: one background loop per
/// down server asks it <c>. IN NS</c> — the cheapest question there is (every resolver has the root
/// NS set cached, and it says nothing about what the household asks) — after
/// <see cref="UpstreamHealth.FirstProbe"/>, then after twice as long per failed probe, up to
/// <see cref="UpstreamHealth.MaxProbe"/>. Any answer (also SERVFAIL: the server is there) ends the
/// outage; a client query that a down server answers (when all of its group are down they are
/// still asked) ends it too, and the loop stops at its next turn. Probes are counted in
/// <c>misinkhole.upstream.probes</c>, not in the client exchanges.
/// </summary>
internal sealed partial class UpstreamProber : IDisposable
{
    private static readonly byte[] Root = [0];

    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly Action<IUpstream, UpstreamHealth> _answered;
    private readonly Counter<long> _probes;
    private readonly CancellationTokenSource _stopping = new();

    public UpstreamProber(TimeSpan timeout, ILogger logger, Meter meter, Action<IUpstream, UpstreamHealth> answered)
    {
        _timeout = timeout;
        _logger = logger;
        _answered = answered;
        _probes = meter.CreateCounter<long>("misinkhole.upstream.probes", description: "Background probes of upstreams that are down, by upstream and result.");
    }

    /// <summary>Starts probing <paramref name="upstream"/> unless a loop for it runs already.</summary>
    public void Start(IUpstream upstream, UpstreamHealth health)
    {
        if (!_stopping.IsCancellationRequested && health.TryStartProbing())
        {
            _ = ProbeAsync(upstream, health);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
    }

    private async Task ProbeAsync(IUpstream upstream, UpstreamHealth health)
    {
        bool ended = false;
        try
        {
            while (health.IsDown)
            {
                TimeSpan wait = health.NextProbeDelay();
                await Task.Delay(wait, _stopping.Token).ConfigureAwait(false);
                if (!health.IsDown)
                {
                    break;
                }

                string result = await ProbeOnceAsync(upstream, health).ConfigureAwait(false);
                LogProbe(upstream.Server, result);
            }

            ended = true;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // shutting down
        }
        catch (Exception e)
        {
            LogProbeFailed(upstream.Server, e);
        }
        finally
        {
            health.ProbingEnded();
        }

        // It went down again between the loop's last look and the end of the claim: go on.
        if (ended && health.IsDown)
        {
            Start(upstream, health);
        }
    }

    private async Task<string> ProbeOnceAsync(IUpstream upstream, UpstreamHealth health)
    {
        long started = Stopwatch.GetTimestamp();
        string result = "error";
        try
        {
            DnsAnswer? answer = await upstream.ExchangeAsync(Root, DnsRecordType.NS, DnsRecordType.ClassIN, dnssecOk: false, checkingDisabled: false, _timeout).ConfigureAwait(false);
            if (answer is null)
            {
                result = "timeout";
                return result;
            }

            result = "ok";
            health.Latency(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _answered(upstream, health);
            return result;
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            result = "timeout";
            return result;
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException or HttpRequestException)
        {
            result = "error";
            return result;
        }
        finally
        {
            _probes.Add(1, new TagList { { "upstream", upstream.Server.Label }, { "protocol", upstream.Server.ProtocolLabel }, { "result", result } });
        }
    }

    [LoggerMessage(EventId = LogEventIds.Upstreams + 20, Level = LogLevel.Debug, Message = "Probe of upstream {Server}: {Result}")]
    private partial void LogProbe(UpstreamServer server, string result);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 21, Level = LogLevel.Error, Message = "Probing upstream {Server} failed unexpectedly; it stays down until a client query reaches it")]
    private partial void LogProbeFailed(UpstreamServer server, Exception exception);
}

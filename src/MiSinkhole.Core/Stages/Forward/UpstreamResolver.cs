using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Resolves a question upstream. First the route (<see cref="UpstreamRoutes"/>): a name under an
/// <c>Upstreams:Conditional</c> domain goes only to that domain's servers; a name in a private
/// zone (<see cref="LocalZones"/>) that no conditional domain covers is answered here
/// (<see cref="LocalZoneAnswer"/>) and never leaves the house; anything else goes to
/// <c>Upstreams:Servers</c>. Then the group's strategy (<c>Upstreams:Strategy</c>, see
/// <see cref="UpstreamGroup.Pick"/>): Failover asks in order; ParallelBest asks the two best at
/// once and takes the first good answer (the other runs on and still counts for its server's
/// score); LoadBalance asks one, drawn by latency, and the next-best when it fails. An answer counts
/// only if it comes from the server asked, carries our ID and echoes our question (each upstream
/// checks); a server that times out, fails or answers SERVFAIL/REFUSED hands over to the next, each
/// attempt within <c>AttemptTimeout</c>, all within <c>Timeout</c>, then the query fails (SERVFAIL to the
/// client). Servers that are down are skipped while another is up and probed in the background
/// (<see cref="UpstreamProber"/>). Identical queries in flight (name, type, class, DO, CD) share one
/// upstream exchange.
/// </summary>
public sealed partial class UpstreamResolver : IAsyncDisposable, IDisposable
{
    private readonly UpstreamOptions _options;
    private readonly ILogger<UpstreamResolver> _logger;
    private readonly ConcurrentDictionary<ulong, InFlight> _inFlight = new();
    private readonly UpstreamRoutes _routes;
    private readonly UpstreamGroup[] _groups;
    private readonly UpstreamProber _prober;
    private readonly Counter<long> _exchanges;
    private readonly Histogram<double> _exchangeDuration;
    private readonly Counter<long> _localAnswers;
    private readonly DesignatedResolver? _designated;

    /// <param name="designated">The DDR designation (RFC 9462) of our encrypted listeners, answered in <c>resolver.arpa</c>; null: none.</param>
    public UpstreamResolver(UpstreamOptions options, UpstreamFactory factory, ILogger<UpstreamResolver> logger, IMeterFactory meterFactory, DesignatedResolver? designated = null)
    {
        _designated = designated;
        _options = options;
        _logger = logger;
        var groups = new List<UpstreamGroup> { new("default", [.. options.Servers.DistinctBy(s => s.Label).Select(factory.Create)], options.Strategy) };
        foreach ((string domain, IReadOnlyList<UpstreamServer> servers) in options.Conditional.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            groups.Add(new UpstreamGroup(domain, [.. servers.DistinctBy(s => s.Label).Take(UpstreamGroup.MaxServers).Select(factory.Create)], options.Strategy));
        }

        // Default servers on LAN addresses (a router: RFC 1918, CGNAT, link-local, ULA; not
        // loopback, which is a recursive resolver on this box) answer the private reverse zones.
        UpstreamServer[] lan = [.. options.Servers.DistinctBy(s => s.Label).Where(IsOnTheLan)];
        UpstreamGroup? lanGroup = lan.Length == 0 ? null : new UpstreamGroup("lan", [.. lan.Select(factory.Create)], options.Strategy);
        if (lanGroup is not null)
        {
            groups.Add(lanGroup);
        }

        _groups = [.. groups];
        _routes = new UpstreamRoutes(_groups[0], _groups.Skip(1).Where(g => g != lanGroup), lanGroup);
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        _exchanges = meter.CreateCounter<long>("misinkhole.upstream.queries", description: "Exchanges with upstream servers, by upstream and result.");
        _exchangeDuration = meter.CreateHistogram<double>("misinkhole.upstream.duration", unit: "s", description: "Duration of upstream exchanges, by upstream and result.");
        _localAnswers = meter.CreateCounter<long>("misinkhole.upstream.local_answers",
            description: "Queries in private zones (RFC 6303 reverse zones, local, home.arpa, …) answered here instead of upstream, by zone.");
        meter.CreateObservableGauge("misinkhole.upstream.healthy", HealthMeasurements,
            description: "1 while the upstream answers, 0 while it is down (skipped and probed), by upstream and group.");
        meter.CreateObservableGauge("misinkhole.upstream.score", ScoreMeasurements, unit: "s",
            description: "Recent latency of the upstream plus its failure penalty: how the strategies rank it (lower is better).");
        _prober = new UpstreamProber(options.AttemptTimeout, logger, meter, Answered);
    }

    /// <summary>Resolves one question; null when every server failed within the budget.</summary>
    public Task<DnsAnswer?> ResolveAsync(ReadOnlySpan<byte> lowerName, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        UpstreamGroup? group = _routes.Find(lowerName, out LocalZone? zone);
        if (group is null)
        {
            _localAnswers.Add(1, zone!.Tags);
            return Task.FromResult(_designated?.TryAnswer(lowerName, type, @class) ?? LocalZoneAnswer.Build(lowerName, type, @class, zone));
        }

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

            return ExchangeAllAsync(group, mine.Name, type, @class, dnssecOk, checkingDisabled);
        }

        _ = RunAsync(group, key, mine, dnssecOk, checkingDisabled);
        return mine.Task;
    }

    /// <summary>Every upstream of every group as the strategies see it now.</summary>
    public IReadOnlyList<UpstreamStatus> Status()
    {
        long now = Stopwatch.GetTimestamp();
        var status = new List<UpstreamStatus>();
        foreach (UpstreamGroup group in _groups)
        {
            for (int i = 0; i < group.Upstreams.Length; i++)
            {
                UpstreamServer server = group.Upstreams[i].Server;
                status.Add(new UpstreamStatus(group.Name, server.Label, server.Protocol, !group.Health[i].IsDown, group.Health[i].Score(now)));
            }
        }

        return status;
    }

    private static readonly AddressSet Lan = new(AddressSet.LanRanges
        .Select(r => IpNetwork.TryParse(r, out IpNetwork network) ? network : throw new InvalidOperationException(r)));

    private static bool IsOnTheLan(UpstreamServer server) =>
        server.Protocol == UpstreamProtocol.Plain && server.Address is { } address && Lan.Contains(ClientAddress.FromIPAddress(address));

    public async ValueTask DisposeAsync()
    {
        _prober.Dispose();
        foreach (UpstreamGroup group in _groups)
        {
            foreach (IUpstream upstream in group.Upstreams)
            {
                await upstream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task RunAsync(UpstreamGroup group, ulong key, InFlight flight, bool dnssecOk, bool checkingDisabled)
    {
        DnsAnswer? answer = null;
        try
        {
            answer = await ExchangeAllAsync(group, flight.Name, flight.Type, flight.Class, dnssecOk, checkingDisabled).ConfigureAwait(false);
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

    private async Task<DnsAnswer?> ExchangeAllAsync(UpstreamGroup group, byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled)
    {
        long deadline = Environment.TickCount64 + (long)_options.Timeout.TotalMilliseconds;
        ulong tried = 0;
        for (int attempt = 0; ; attempt++)
        {
            long remaining = deadline - Environment.TickCount64;
            int index = remaining > 0 ? group.Pick(ref tried, attempt) : -1;
            if (index < 0)
            {
                return null;
            }

            TimeSpan timeout = TimeSpan.FromMilliseconds(Math.Min(remaining, _options.AttemptTimeout.TotalMilliseconds));
            if (group.Strategy == UpstreamStrategy.ParallelBest && attempt == 0)
            {
                int second = group.Pick(ref tried, 1);
                if (second >= 0 && (!group.Health[second].IsDown || group.Health[index].IsDown))
                {
                    attempt++;
                    DnsAnswer? raced = await RaceAsync(group, index, second, name, type, @class, dnssecOk, checkingDisabled, timeout).ConfigureAwait(false);
                    if (raced is not null)
                    {
                        return raced;
                    }

                    continue;
                }

                if (second >= 0)
                {
                    tried &= ~(1UL << second); // down while the first is up: asked only if the first fails
                }
            }

            DnsAnswer? answer = await AttemptAsync(group, index, name, type, @class, dnssecOk, checkingDisabled, timeout).ConfigureAwait(false);
            if (answer is not null)
            {
                return answer;
            }
        }
    }

    /// <summary>ParallelBest: both at once, the first good answer; the slower runs on alone and records its own result.</summary>
    private async Task<DnsAnswer?> RaceAsync(UpstreamGroup group, int first, int second, byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, TimeSpan timeout)
    {
        Task<DnsAnswer?> one = AttemptAsync(group, first, name, type, @class, dnssecOk, checkingDisabled, timeout);
        Task<DnsAnswer?> two = AttemptAsync(group, second, name, type, @class, dnssecOk, checkingDisabled, timeout);
        Task<DnsAnswer?> done = await Task.WhenAny(one, two).ConfigureAwait(false);
        if (done.IsCompletedSuccessfully && done.Result is { } answer)
        {
            return answer;
        }

        return await (done == one ? two : one).ConfigureAwait(false);
    }

    /// <summary>One question to one server: its good answer, or null (no answer, SERVFAIL, REFUSED, error), with health, score, logs and metrics updated.</summary>
    private async Task<DnsAnswer?> AttemptAsync(UpstreamGroup group, int index, byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, TimeSpan timeout)
    {
        IUpstream upstream = group.Upstreams[index];
        UpstreamHealth health = group.Health[index];
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
                NoAnswer(group, index, "timeout", started);
                return null;
            }

            Answered(upstream, health);
            if (answer.Rcode is DnsResponseCode.ServFail or DnsResponseCode.Refused || answer.ExtendedRcode != 0)
            {
                result = answer.ExtendedRcode != 0 ? "error" : answer.Rcode == DnsResponseCode.Refused ? "refused" : "servfail";
                LogAttemptFailed(server, answer.ExtendedRcode != 0 ? "extended RCODE" : answer.Rcode == DnsResponseCode.Refused ? "REFUSED" : "SERVFAIL");
                health.Penalize(Stopwatch.GetTimestamp());
                return null;
            }

            result = "ok";
            health.Latency(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return answer;
        }
        catch (SocketException e)
        {
            result = "error";
            string reason = e.SocketErrorCode.ToString();
            LogAttemptFailed(server, reason);
            NoAnswer(group, index, reason, started);
            return null;
        }
        catch (OperationCanceledException)
        {
            result = "timeout";
            LogAttemptFailed(server, "timeout");
            NoAnswer(group, index, "timeout", started);
            return null;
        }
        catch (Exception e) when (e is IOException or AuthenticationException or HttpRequestException)
        {
            result = "error";
            LogAttemptFailed(server, e.Message);
            NoAnswer(group, index, e.Message, started);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything else an upstream throws (disposed under us, a certificate check that threw)
            // is still that server's failure: the next one is tried and its health counts it.
            result = "error";
            LogExchangeFailed(e);
            NoAnswer(group, index, e.GetType().Name, started);
            return null;
        }
        finally
        {
            RecordExchange(server, result, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>An attempt got no answer: once enough have in a row, say (once) that the server is down, and start probing it.</summary>
    private void NoAnswer(UpstreamGroup group, int index, string reason, long timestamp)
    {
        if (group.Health[index].Failed(timestamp))
        {
            LogDown(group.Upstreams[index].Server, UpstreamHealth.DownAfter, reason);
            _prober.Start(group.Upstreams[index], group.Health[index]);
        }
    }

    /// <summary>The server answered (also SERVFAIL or REFUSED: it is there): if it was down, say (once) that it is back.</summary>
    private void Answered(IUpstream upstream, UpstreamHealth health)
    {
        if (health.Answered(out long downSince, out int failures))
        {
            TimeSpan down = TimeSpan.FromSeconds(Math.Round(Stopwatch.GetElapsedTime(downSince).TotalSeconds));
            LogUp(upstream.Server, down, failures);
        }
    }

    /// <summary>Records one upstream exchange: result is ok, timeout, servfail, refused or error.</summary>
    private void RecordExchange(UpstreamServer server, string result, double seconds)
    {
        var tags = new TagList { { "upstream", server.Label }, { "protocol", server.ProtocolLabel }, { "result", result } };
        _exchanges.Add(1, tags);
        _exchangeDuration.Record(seconds, tags);
    }

    private IEnumerable<Measurement<int>> HealthMeasurements()
    {
        foreach (UpstreamGroup group in _groups)
        {
            for (int i = 0; i < group.Upstreams.Length; i++)
            {
                yield return new Measurement<int>(group.Health[i].IsDown ? 0 : 1, Labels(group, i));
            }
        }
    }

    private IEnumerable<Measurement<double>> ScoreMeasurements()
    {
        long now = Stopwatch.GetTimestamp();
        foreach (UpstreamGroup group in _groups)
        {
            for (int i = 0; i < group.Upstreams.Length; i++)
            {
                yield return new Measurement<double>(group.Health[i].Score(now) / 1000, Labels(group, i));
            }
        }
    }

    private static TagList Labels(UpstreamGroup group, int index)
    {
        UpstreamServer server = group.Upstreams[index].Server;
        return new TagList { { "upstream", server.Label }, { "protocol", server.ProtocolLabel }, { "group", group.Name } };
    }

    [LoggerMessage(EventId = LogEventIds.Upstreams + 3, Level = LogLevel.Error, Message = "Upstream exchange failed unexpectedly")]
    private partial void LogExchangeFailed(Exception exception);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 1, Level = LogLevel.Debug, Message = "Upstream {Server} failed: {Reason}")]
    private partial void LogAttemptFailed(UpstreamServer server, string reason);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 4, Level = LogLevel.Warning, Message = "Upstream {Server} is not answering ({Attempts} attempts in a row, last: {Reason}): queries go to the next server, or get SERVFAIL when none answers")]
    private partial void LogDown(UpstreamServer server, int attempts, string reason);

    [LoggerMessage(EventId = LogEventIds.Upstreams + 5, Level = LogLevel.Information, Message = "Upstream {Server} answers again (down for {Duration}, {Failures} attempts without an answer)")]
    private partial void LogUp(UpstreamServer server, TimeSpan duration, int failures);
}

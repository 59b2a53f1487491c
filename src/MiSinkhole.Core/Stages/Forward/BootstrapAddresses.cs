using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// The addresses of one upstream host name (<c>dns.quad9.net</c>), asked of the plain
/// <c>Upstreams:Bootstrap</c> servers (A and AAAA, IPv4 first) in the background, and asked again
/// when their TTL runs out (at least <see cref="MinRefresh"/>, at most <see cref="MaxRefresh"/>).
/// Nothing waits for it at start: until the first answer, an exchange waits for the first attempt
/// within its own budget, and when that failed it fails at once (the last addresses known are kept
/// through later failures, which are retried with back-off).
/// </summary>
public sealed partial class BootstrapAddresses : IAsyncDisposable
{
    public static readonly TimeSpan MinRefresh = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxRefresh = TimeSpan.FromHours(1);
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromMinutes(1);

    private readonly byte[] _name;
    private readonly PlainUpstream[] _servers;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private volatile IPAddress[] _current = [];

    private readonly TimeSpan _minRefresh;

    /// <param name="minRefresh">The floor of the TTL (<see cref="MinRefresh"/> unless a test asks for less).</param>
    public BootstrapAddresses(string host, IReadOnlyList<IPEndPoint> bootstrap, IUdpExchange udp, ILogger logger, TimeSpan? minRefresh = null)
    {
        _minRefresh = minRefresh ?? MinRefresh;
        Host = host;
        _name = DnsName.FromText(host.ToLowerInvariant());
        _servers = [.. bootstrap.Select(b => new PlainUpstream(UpstreamServer.Plain(b), udp))];
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public string Host { get; }

    /// <summary>The addresses known now (IPv4 first); empty until the first answer.</summary>
    public IReadOnlyList<IPAddress> Current => _current;

    /// <summary>The addresses, waiting (within <paramref name="token"/>) for the first attempt if it is still running.</summary>
    /// <exception cref="SocketException">HostNotFound: bootstrap has not resolved the name (yet).</exception>
    public async ValueTask<IReadOnlyList<IPAddress>> GetAsync(CancellationToken token)
    {
        if (_current.Length == 0)
        {
            await _firstAttempt.Task.WaitAsync(token).ConfigureAwait(false);
        }

        IPAddress[] current = _current;
        return current.Length > 0 ? current : throw new SocketException((int)SocketError.HostNotFound);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // stopping (a question still out ends with its own timeout)
        }
    }

    private async Task RunAsync()
    {
        TimeSpan retry = FirstRetry;
        while (!_stop.IsCancellationRequested)
        {
            TimeSpan wait;
            (IPAddress[] addresses, uint ttl, string? problem) = await ResolveAsync().ConfigureAwait(false);
            if (addresses.Length > 0)
            {
                bool changed = !addresses.SequenceEqual(_current);
                _current = addresses;
                wait = TimeSpan.FromSeconds(Math.Clamp(ttl, _minRefresh.TotalSeconds, MaxRefresh.TotalSeconds));
                retry = FirstRetry;
                if (changed)
                {
                    string list = string.Join(", ", addresses.Select(a => a.ToString()));
                    LogResolved(Host, list, wait);
                }
            }
            else
            {
                wait = retry;
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
                LogFailed(Host, problem ?? "no address", _current.Length > 0 ? "the last addresses stay in use" : "its queries fail until it resolves", wait);
            }

            _firstAttempt.TrySetResult();
            await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Asks the bootstrap servers in order, A and AAAA at once; the first server that answers either gives the addresses.</summary>
    private async Task<(IPAddress[] Addresses, uint Ttl, string? Problem)> ResolveAsync()
    {
        string? problem = _servers.Length == 0 ? "no Upstreams:Bootstrap servers" : null;
        foreach (PlainUpstream server in _servers)
        {
            try
            {
                Task<DnsAnswer?> a = server.ExchangeAsync(_name, DnsRecordType.A, 1, false, false, QueryTimeout);
                Task<DnsAnswer?> aaaa = server.ExchangeAsync(_name, DnsRecordType.AAAA, 1, false, false, QueryTimeout);
                DnsAnswer?[] answers = await Task.WhenAll(a, aaaa).ConfigureAwait(false);
                var addresses = new List<IPAddress>();
                uint ttl = uint.MaxValue;
                foreach (DnsAnswer? answer in answers)
                {
                    if (answer is { Rcode: DnsResponseCode.NoError })
                    {
                        ttl = Math.Min(ttl, Read(answer, addresses));
                    }
                }

                if (addresses.Count > 0)
                {
                    return ([.. addresses.Distinct()], ttl, null);
                }

                problem = answers.All(x => x is null) ? $"{server.Server} did not answer"
                    : $"{server.Server} answered without an address ({"RCODE " + string.Join("/", answers.Select(x => x is null ? "none" : x.Rcode.ToString(System.Globalization.CultureInfo.InvariantCulture)))})";
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                problem = $"{server.Server}: {e.Message}";
            }
        }

        return ([], 0, problem);
    }

    /// <summary>Adds the answer section's A and AAAA addresses (whatever owner: a CNAME chain ends in them); returns their smallest TTL.</summary>
    private static uint Read(DnsAnswer answer, List<IPAddress> addresses)
    {
        byte[] message = answer.Message;
        int position = DnsHeader.Size + answer.QuestionLength;
        uint ttl = uint.MaxValue;
        for (int i = 0; i < answer.AnswerCount; i++)
        {
            if (!DnsQueryParser.TrySkipRecord(message, ref position, out ushort type, out int rdataOffset, out int rdataLength))
            {
                break;
            }

            if ((type == DnsRecordType.A && rdataLength == 4) || (type == DnsRecordType.AAAA && rdataLength == 16))
            {
                addresses.Add(new IPAddress(message.AsSpan(rdataOffset, rdataLength)));
                ttl = Math.Min(ttl, answer.Ttls[i]);
            }
        }

        return ttl;
    }

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 1, Level = LogLevel.Information, Message = "Bootstrap: {Host} is {Addresses} (asked again in {Refresh})")]
    private partial void LogResolved(string host, string addresses, TimeSpan refresh);

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 2, Level = LogLevel.Warning, Message = "Bootstrap could not resolve {Host} ({Problem}): {Consequence}; trying again in {Retry}")]
    private partial void LogFailed(string host, string problem, string consequence, TimeSpan retry);
}

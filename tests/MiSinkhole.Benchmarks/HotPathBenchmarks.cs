using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Cache;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Benchmarks;

/// <summary>
/// The per-query hot path: decoding a query, a blocked answer and a cache hit through the whole
/// chain (what the UDP receive thread runs for each datagram), and the answer writer alone.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly byte[] _query = RawMessage.Query("www.example.org", 1, edns: true);
    private readonly byte[] _blockedQuery = RawMessage.Query("data.mistat.xiaomi.com", 1, edns: true);
    private readonly byte[] _name = new byte[256];
    private readonly byte[] _answer = new byte[1024];
    private readonly QueryContext _context = new();
    private TempDirectory _dir = null!;
    private ServiceProvider _services = null!;
    private QueryPipeline _pipeline = null!;
    private DnsQuery _parsedBlocked;

    [GlobalSetup]
    public void Setup()
    {
        _dir = new TempDirectory();
        _dir.Write("telemetry.txt", "mistat.xiaomi.com\ntracking.miui.com\n");
        _dir.Write("zones.txt", "xiaomi.com\nmiui.com\n");
        // With Xiaomi's zones, as shipped: the blocked name is under one, so the unclassified check runs in full.
        // A LAN client, so the rate limit's token bucket is taken for every query (at a rate no run can exhaust).
        SinkholeOptions options = new TestConfig().Upstream("127.0.0.1:9").List("telemetry", "telemetry.txt")
            .List("xiaomi-zones", "zones.txt").Set("Discovery:Zones:0", "xiaomi-zones")
            .Set("RateLimit:Rate", "1000000000").Set("RateLimit:Burst", "10000000").Read(_dir.Path);
        _services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddQueryPipeline(options)
            .BuildServiceProvider();
        _services.GetRequiredService<ActiveConfig>().Load(options);
        _pipeline = _services.GetRequiredService<QueryPipeline>();

        // Prime the cache with an upstream-style answer for the allowed name.
        byte[] upstream = RawMessage.ResponseTo(RawMessage.Query("www.example.org", 1)).A(null, 3600, "192.0.2.1").Opt().ToArray();
        DnsAnswer answer = DnsAnswer.TryParse(upstream, DnsName.FromText("www.example.org"), 1, 1)!;
        _services.GetRequiredService<DnsCache>().Set(DnsName.FromText("www.example.org"), 1, 1, false, false, answer);
        DnsQueryParser.Parse(_blockedQuery, _name, out _parsedBlocked);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _dir.Dispose();
    }

    [Benchmark]
    public DnsParseResult DecodeQuery() => DnsQueryParser.Parse(_query, _name, out _);

    [Benchmark]
    public int WriteBlockedAnswer() =>
        DnsResponseWriter.WriteBlocked(_answer, _blockedQuery, _parsedBlocked, BlockResponseMode.NullIp, 60, "telemetry"u8);

    [Benchmark]
    public int BlockedQueryThroughPipeline() => Run(_blockedQuery);

    [Benchmark]
    public int CacheHitThroughPipeline() => Run(_query);

    private int Run(byte[] query)
    {
        QueryContext context = _context;
        context.Reset();
        query.CopyTo(context.RequestBuffer, 0);
        context.RequestLength = query.Length;
        context.Client = new ClientAddress(0xC0A8010A, true, 5353); // 192.168.1.10
        ValueTask pending = _pipeline.ProcessAsync(context);
        if (!pending.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("the local path went asynchronous");
        }

        pending.GetAwaiter().GetResult();
        return context.ResponseLength;
    }
}

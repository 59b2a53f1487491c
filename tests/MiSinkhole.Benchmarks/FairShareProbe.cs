using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MiSinkhole.TestKit;

namespace MiSinkhole.Benchmarks;

/// <summary>
/// One client floods random names under a zone whose server never answers, another asks one name
/// after the other (blocked, cached, forwarded in turn); prints the other client's latency (p50,
/// p99, max) and lost answers, with the shipped limits, with the upstream share alone, and with
/// neither: <c>dotnet run -c Release --project tests/MiSinkhole.Benchmarks -- fairshare [QPS] [SECONDS]</c>
/// (default 20000 queries a second for 10 s). The daemon runs in this process, loopback not
/// exempt; the flooder paces itself on a spinning clock.
/// </summary>
public static class FairShareProbe
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        int qps = args.Count > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        int seconds = args.Count > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine($"flood: {qps} random names a second under a silent zone for {seconds} s from 127.0.0.2; the other client 127.0.0.3 asks one at a time");
        Console.WriteLine($"{"limits",-34} {"kind",-10} {"asked",6} {"lost",5} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"flood sent",10}");
        foreach ((string name, string rate, string share) in new[] { ("shipped (rate 100/s, share 25 %)", "100", "25"), ("share only (no token bucket)", "0", "25"), ("neither (rate 0, share 100 %)", "0", "100") })
        {
            await RunOneAsync(name, rate, share, qps, seconds);
        }

        return 0;
    }

    private static async Task RunOneAsync(string label, string rate, string share, int qps, int seconds)
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q => q.Name.EndsWith("slow.example", StringComparison.Ordinal) ? FakeReply.Drop : FakeUpstream.DefaultAnswer(q);
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .List("ads", "ads.txt").Policy("strict", block: ["ads"])
            .Set("RateLimit:Rate", rate).Set("RateLimit:UpstreamShare", share).Set("RateLimit:Exempt", "").Set("Cache:MaxEntries", "100000")
            .Values, new Dictionary<string, string> { ["ads.txt"] = "ads.example\n" });
        IPAddress other = IPAddress.Parse("127.0.0.3");
        await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("cached.example", 1), from: other);

        long sent = 0;
        Thread flooder = new(() => sent = Flood(daemon.EndPoint, qps, seconds)) { IsBackground = true };
        flooder.Start();
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed < TimeSpan.FromSeconds(1))
        {
            await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("cached.example", 1), from: other);
        }

        var latencies = new Dictionary<string, List<double>> { ["blocked"] = [], ["cached"] = [], ["forwarded"] = [] };
        var lost = new Dictionary<string, int> { ["blocked"] = 0, ["cached"] = 0, ["forwarded"] = 0 };
        var clock = Stopwatch.StartNew();
        for (int i = 0; clock.Elapsed < TimeSpan.FromSeconds(seconds - 2); i++)
        {
            (string kind, string name) = (i % 3) switch
            {
                0 => ("blocked", "ads.example"),
                1 => ("cached", "cached.example"),
                _ => ("forwarded", $"fresh{i}.example"),
            };
            long start = Stopwatch.GetTimestamp();
            byte[]? answer = await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query(name, 1, id: (ushort)i), TimeSpan.FromSeconds(2), other);
            if (answer is null)
            {
                lost[kind]++;
            }
            else
            {
                latencies[kind].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        flooder.Join();
        List<double> all = [.. latencies.Values.SelectMany(l => l)];
        foreach ((string kind, List<double> values) in latencies.Append(new("all", all)))
        {
            int missing = kind == "all" ? lost.Values.Sum() : lost[kind];
            Console.WriteLine($"{label,-34} {kind,-10} {values.Count + missing,6} {missing,5} {Percentile(values, 50),8} {Percentile(values, 99),8} {Percentile(values, 100),8} {(kind == "all" ? sent.ToString(CultureInfo.InvariantCulture) : ""),10}");
        }
    }

    /// <summary>Sends random names under slow.example at <paramref name="qps"/> for <paramref name="seconds"/>; returns how many.</summary>
    private static long Flood(IPEndPoint server, int qps, int seconds)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        long sent = 0;
        long total = (long)qps * seconds;
        while (sent < total)
        {
            long due = (long)(clock.Elapsed.TotalSeconds * qps);
            for (; sent < due && sent < total; sent++)
            {
                socket.SendTo(RawMessage.Query($"r{random.Next():x8}.slow.example", 1, id: (ushort)sent), server);
            }

            Thread.SpinWait(50);
        }

        return sent;
    }

    private static string Percentile(List<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return "-";
        }

        double[] sorted = [.. values.Order()];
        int index = Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[index].ToString("F2", CultureInfo.InvariantCulture);
    }
}

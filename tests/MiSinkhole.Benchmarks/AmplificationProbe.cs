using System.Globalization;
using System.Net;
using MiSinkhole.TestKit;

namespace MiSinkhole.Benchmarks;

/// <summary>
/// Bytes out per byte in over UDP, for the queries the protocol tests send (and the other
/// answers a spoofed source could ask for: a sinkhole answer, a stranger's REFUSED, a rate-limited
/// TC): <c>dotnet run -c Release --project tests/MiSinkhole.Benchmarks -- amplification</c>.
/// Starts the daemon in-process with the protocol tests' fake upstream, sends each query from
/// 127.0.0.x and prints query size, answer size and their ratio, the worst last.
/// </summary>
public static class AmplificationProbe
{
    public static async Task<int> RunAsync()
    {
        await using var upstream = new FakeUpstream { Handler = ProtocolUpstream.Answer };
        var files = new Dictionary<string, string> { ["ads.txt"] = "ads.example\n" };
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .List("ads", "ads.txt").Policy("strict", block: ["ads"]).Set("Dns:AllowedClients:0", "127.0.0.1/32").Values, files);
        await using RunningDaemon limited = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .Set("RateLimit:Rate", "1").Set("RateLimit:Burst", "1").Set("RateLimit:Exempt", "").Values);

        var rows = new List<(string What, int In, int Out)>();
        async Task Measure(string what, byte[] query, RunningDaemon target, string from = "127.0.0.1")
        {
            byte[]? answer = await RawClient.UdpAsync(target.EndPoint, query, TimeSpan.FromMilliseconds(500), IPAddress.Parse(from));
            rows.Add((what, query.Length, answer?.Length ?? 0));
        }

        // ProtocolTests, in their order.
        await Measure("A, EDNS 4096 + DO", RawMessage.Query("edns.example", 1, edns: true, payload: 4096, dnssecOk: true), daemon);
        await Measure("A, no EDNS", RawMessage.Query("edns.example", 1), daemon);
        await Measure("EDNS version 1 (BADVERS)", RawMessage.Query("v1.example", 1, edns: true, ednsVersion: 1), daemon);
        await Measure("unknown EDNS option", RawMessage.Query("opt.example", 1, edns: true, ednsOptions: [0xFD, 0xE9, 0, 3, 1, 2, 3]), daemon);
        await Measure("TXT ~1,700 B, no EDNS (TC)", RawMessage.Query("big.example", 16), daemon);
        await Measure("TXT ~600 B, EDNS 1232", RawMessage.Query("mid.example", 16, edns: true, payload: 1232), daemon);
        await Measure("TXT ~600 B, EDNS 100 (TC)", RawMessage.Query("mid.example", 16, edns: true, payload: 100), daemon);
        await Measure("TXT ~1,700 B, EDNS 1232 (TC)", RawMessage.Query("big.example", 16, edns: true, payload: 1232), daemon);
        await Measure("TXT ~1,700 B, EDNS 4096 (TC: MaxUdpSize)", RawMessage.Query("big.example", 16, edns: true, payload: 4096), daemon);
        await Measure("TXT ~1,700 B, EDNS 65535 (TC: MaxUdpSize)", RawMessage.Query("big.example", 16, edns: true, payload: 65535), daemon);
        await Measure("0x20 case, RD", RawMessage.Query("MiXeD.CaSe.ExAmPle", 1, id: 0xBEEF), daemon);
        await Measure("0x20 case, no RD", RawMessage.Query("MiXeD.CaSe.ExAmPle", 1, id: 0xBEF0, flags: 0), daemon);
        await Measure("QDCOUNT 0 (FORMERR)", RawMessage.Header(0x0101, 0x0100).ToArray(), daemon);
        await Measure("QDCOUNT 2 (FORMERR)", RawMessage.Header(0x0102, 0x0100).Question("a.example", 1).Question("b.example", 1).SetCount(0, 2).ToArray(), daemon);
        await Measure("NOTIFY (NOTIMP)", RawMessage.Query("zone.example", 6, id: 9, flags: 4 << 11), daemon);
        await Measure("STATUS (NOTIMP)", RawMessage.Query("zone.example", 6, id: 10, flags: 2 << 11), daemon);
        await Measure("QR=1 (no reply)", RawMessage.Query("qr.example", 1, flags: 0x8100), daemon);
        await Measure("pointer in question (FORMERR)", [.. RawMessage.Header(0x4242, 0x0100).SetCount(0, 1).ToArray(), 0xC0, 0x0C, 0, 1, 0, 1], daemon);
        await Measure("truncated name (FORMERR)", [.. RawMessage.Header(0x4242, 0x0100).SetCount(0, 1).ToArray(), 5, 97, 98], daemon);
        await Measure("name over 255 (FORMERR)", RawMessage.Query(string.Join('.', Enumerable.Repeat(new string('a', 60), 5)), 1), daemon);
        await Measure("lying ARCOUNT (FORMERR)", RawMessage.Header(7, 0x0100).Question("lie.example", 1).SetCount(3, 5).ToArray(), daemon);
        await Measure("two OPTs (FORMERR)", RawMessage.Header(9, 0x0100).Question("lie.example", 1).Opt().Opt().ToArray(), daemon);
        await Measure("AXFR over UDP (REFUSED)", RawMessage.Query("example", 252), daemon);
        // What else a spoofed source could ask for.
        await Measure("blocked A, EDNS (sinkhole + EDE)", RawMessage.Query("ads.example", 1, edns: true), daemon);
        await Measure("blocked HTTPS, EDNS (SOA + EDE)", RawMessage.Query("ads.example", 65, edns: true), daemon);
        await Measure("stranger, A (REFUSED)", RawMessage.Query("edns.example", 1, edns: true), daemon, "127.0.0.9");
        await Measure("stranger, malformed (silence)", [.. RawMessage.Header(4, 0x0100).SetCount(0, 1).ToArray(), 5, 97, 98], daemon, "127.0.0.9");
        await Measure("first query (within the burst)", RawMessage.Query("mid.example", 16, edns: true), limited, "127.0.0.2");
        await Measure("over the rate (TC, Action Truncate)", RawMessage.Query("mid.example", 16, edns: true), limited, "127.0.0.2");

        Console.WriteLine($"{"query",-44} {"in B",6} {"out B",6} {"out/in",7}");
        foreach ((string what, int @in, int @out) in rows)
        {
            Console.WriteLine($"{what,-44} {@in,6} {@out,6} {((double)@out / @in).ToString("F2", CultureInfo.InvariantCulture),7}");
        }

        (string worst, int worstIn, int worstOut) = rows.MaxBy(r => (double)r.Out / r.In);
        Console.WriteLine($"worst: {worst}: {worstOut} B out for {worstIn} B in = {((double)worstOut / worstIn).ToString("F1", CultureInfo.InvariantCulture)}x");
        return 0;
    }
}

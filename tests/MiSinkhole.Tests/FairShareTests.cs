using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// One client floods random names under a zone whose server never answers; another keeps asking.
/// The flooder can hold only its share of <c>Dns:MaxInFlight</c>, so the other's blocked, cached
/// and forwarded answers all arrive. (How fast they stay is measured, not asserted:
/// <c>tests/MiSinkhole.Benchmarks -- fairshare</c>.)
/// </summary>
[TestClass]
public sealed class FairShareTests
{
    [TestMethod]
    public async Task Flooder_HoldsOnlyItsShare_AndAnotherClientsAnswersAllArrive()
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q => q.Name.EndsWith("slow.example", StringComparison.Ordinal) ? FakeReply.Drop : FakeUpstream.DefaultAnswer(q);
        // 64 queries may wait upstream, a client 25 % of them; the token bucket off, loopback not exempt: the share alone.
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(upstream.Address)
            .List("ads", "ads.txt").Policy("strict", block: ["ads"])
            .Set("Dns:MaxInFlight", "64").Set("RateLimit:UpstreamShare", "25").Set("RateLimit:Rate", "0").Set("RateLimit:Exempt", "")
            .Values, new Dictionary<string, string> { ["ads.txt"] = "ads.example\n" });
        IPAddress other = IPAddress.Parse("127.0.0.3");
        Assert.IsNotNull(await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query("cached.example", 1), from: other));

        using var flooder = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        var random = new Random(7);
        var missing = new List<string>();
        for (int round = 0; round < 60; round++)
        {
            // 20 names under the silent zone before each of the other's queries: 1,200 in all, each
            // waiting the 2-second upstream budget, so without the share they would hold all 64.
            for (int i = 0; i < 20; i++)
            {
                await flooder.SendAsync(RawMessage.Query($"r{random.Next():x}.slow.example", 1, id: (ushort)i), daemon.EndPoint);
            }

            (string name, ushort type) = (round % 3) switch
            {
                0 => ("ads.example", (ushort)1),       // blocked
                1 => ("cached.example", (ushort)1),    // cached
                _ => ($"fresh{round}.example", (ushort)1), // forwarded
            };
            byte[]? answer = await RawClient.UdpAsync(daemon.EndPoint, RawMessage.Query(name, type, id: (ushort)round), TimeSpan.FromSeconds(3), other);
            if (answer is null || Wire.Parse(answer).ReturnCode != ReturnCode.NoError || Wire.Parse(answer).AnswerRecords.Count != 1)
            {
                missing.Add(name);
            }
        }

        DigResult dig = await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "with-dig.example", "A");

        Assert.IsEmpty(missing, "answers that did not arrive: " + string.Join(", ", missing));
        Assert.AreEqual("NOERROR", dig.Status, dig.Output);
        Assert.IsTrue(upstream.Received.Count(q => q.Name.EndsWith("slow.example", StringComparison.Ordinal)) < 1200, "the flood past the share never went upstream");
    }
}

using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>Through the daemon with dig: router names go to the router, private reverse lookups stay in the house.</summary>
[TestClass]
public sealed class ConditionalForwardingTests
{
    [TestMethod]
    public async Task LanNamesGoToTheRouter_PrivateReverseLookupsAreAnsweredHere_ThePublicUpstreamSeesNeither()
    {
        await using var pub = new FakeUpstream();
        await using var router = new FakeUpstream();
        router.Handler = q => q.Type == 12
            ? RawMessage.ResponseTo(q.Raw).Record(null, 12, 60, RawMessage.Name("printer.lan"), 1).ToArray()
            : RawMessage.ResponseTo(q.Raw).A(null, 60, "192.168.1.20").ToArray();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(new TestConfig()
            .Upstream(pub.Address)
            .Set("Upstreams:Conditional:lan:0", router.Address)
            .Set("Upstreams:Conditional:1.168.192.in-addr.arpa:0", router.Address)
            .Values);

        DigResult printer = await Dig.RunAsync(daemon.EndPoint, "printer.lan", "A");
        DigResult reverse = await Dig.RunAsync(daemon.EndPoint, "-x", "192.168.1.20");
        DigResult otherReverse = await Dig.RunAsync(daemon.EndPoint, "-x", "10.1.2.3");
        DigResult mdns = await Dig.RunAsync(daemon.EndPoint, "tv.local", "AAAA");
        DigResult again = await Dig.RunAsync(daemon.EndPoint, "-x", "10.1.2.3");

        Assert.AreEqual("printer.lan. 60 IN A 192.168.1.20", printer.Answers.Single(), printer.Output);
        Assert.AreEqual("20.1.168.192.in-addr.arpa. 60 IN PTR printer.lan.", reverse.Answers.Single(), reverse.Output);
        Assert.AreEqual("NXDOMAIN", otherReverse.Status, otherReverse.Output);
        // The SOA of RFC 6303 §3 (its TTL as the cache's negative-TTL cap leaves it).
        StringAssert.Matches(otherReverse.Authority.Single(), new System.Text.RegularExpressions.Regex(@"^10\.in-addr\.arpa\. \d+ IN SOA 10\.in-addr\.arpa\. nobody\.invalid\. 1 3600 1200 604800 10800$"), otherReverse.Output);
        Assert.AreEqual("NXDOMAIN", mdns.Status, mdns.Output);
        StringAssert.Matches(mdns.Authority.Single(), new System.Text.RegularExpressions.Regex(@"^local\. \d+ IN SOA local\. nobody\.invalid\. 1 3600 1200 604800 10800$"), mdns.Output);
        Assert.AreEqual("NXDOMAIN", again.Status, again.Output);
        CollectionAssert.AreEquivalent(new[] { "printer.lan", "20.1.168.192.in-addr.arpa" }, router.Received.Select(q => q.Name).ToArray());
        Assert.AreEqual(0, pub.Count, string.Join(", ", pub.Received.Select(q => q.Name)));
    }
}

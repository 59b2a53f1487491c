using System.Net;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.RateLimit;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.RateLimit;

/// <summary>The per-client token buckets and upstream counts, on a fake clock.</summary>
[TestClass]
public sealed class ClientLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    private ClientLimiter Create(TestConfig config) => new(config.List("l", "/dev/null").Read(Path.GetTempPath()), _time);

    private static ClientAddress Client(string address) => ClientAddress.FromIPAddress(IPAddress.Parse(address), 40000);

    private static int Take(ClientLimiter limiter, string client, int queries) =>
        Enumerable.Range(0, queries).Count(_ => limiter.TryTake(Client(client)));

    [TestMethod]
    public void Bucket_AllowsTheBurst_ThenTheRate()
    {
        ClientLimiter limiter = Create(new TestConfig().Set("RateLimit:Rate", "10").Set("RateLimit:Burst", "50"));

        Assert.AreEqual(50, Take(limiter, "192.168.1.10", 80), "a full bucket lets the burst through, no more");
        _time.Advance(TimeSpan.FromMilliseconds(500));
        int refilled = Take(limiter, "192.168.1.10", 20);
        Assert.AreEqual(5, refilled, $"half a second at 10 a second refills 5, not {refilled}");
        _time.Advance(TimeSpan.FromHours(1));
        Assert.AreEqual(50, Take(limiter, "192.168.1.10", 80), "a quiet hour refills the bucket, never past the burst");
    }

    [TestMethod]
    public void Clients_AreGroupedByPrefix_Ipv4Per32_Ipv6Per56ByDefault()
    {
        ClientLimiter limiter = Create(new TestConfig().Set("RateLimit:Rate", "1").Set("RateLimit:Burst", "10"));

        Assert.AreEqual(10, Take(limiter, "192.168.1.10", 20));
        Assert.AreEqual(10, Take(limiter, "192.168.1.11", 20), "another IPv4 address has its own bucket");
        Assert.AreEqual(10, Take(limiter, "2001:db8:1:100::1", 20));
        Assert.AreEqual(0, Take(limiter, "2001:db8:1:1ff:aaaa::2", 20), "the same /56 (privacy addresses of one home) shares it");
        Assert.AreEqual(10, Take(limiter, "2001:db8:1:200::1", 20), "another /56 has its own");
    }

    [TestMethod]
    public void Prefixes_AreConfigurable()
    {
        ClientLimiter limiter = Create(new TestConfig().Set("RateLimit:Rate", "1").Set("RateLimit:Burst", "10").Set("RateLimit:IPv4Prefix", "24").Set("RateLimit:IPv6Prefix", "128"));

        Assert.AreEqual(10, Take(limiter, "192.168.1.10", 20));
        Assert.AreEqual(0, Take(limiter, "192.168.1.11", 20), "one /24");
        Assert.AreEqual(10, Take(limiter, "2001:db8::1", 20));
        Assert.AreEqual(10, Take(limiter, "2001:db8::2", 20), "each IPv6 address on its own at /128");
    }

    [TestMethod]
    public void Exempt_DefaultsToLoopback_AndCanBeSet()
    {
        ClientLimiter byDefault = Create(new TestConfig());
        ClientLimiter configured = Create(new TestConfig().Set("RateLimit:Exempt:0", "192.168.1.0/24"));
        ClientLimiter none = Create(new TestConfig().Set("RateLimit:Exempt", ""));

        Assert.IsTrue(byDefault.IsExempt(Client("127.0.0.1")));
        Assert.IsTrue(byDefault.IsExempt(Client("::1")));
        Assert.IsFalse(byDefault.IsExempt(Client("192.168.1.10")));
        Assert.IsTrue(configured.IsExempt(Client("192.168.1.10")));
        Assert.IsFalse(configured.IsExempt(Client("127.0.0.1")), "a configured list replaces the default");
        Assert.IsFalse(none.IsExempt(Client("127.0.0.1")), "an empty list: nobody");
    }

    [TestMethod]
    public void UpstreamShare_CapsOneClient_NotTheOthers_AndIsGivenBack()
    {
        // MaxInFlight 100, share 25 %: one client may have 25 queries waiting upstream.
        ClientLimiter limiter = Create(new TestConfig().Set("Dns:MaxInFlight", "100").Set("RateLimit:UpstreamShare", "25"));
        ClientAddress flooder = Client("192.168.1.66");

        int[] slots = [.. Enumerable.Range(0, 30).Select(_ => limiter.TryEnterUpstream(flooder, DnsTransport.Udp))];

        Assert.AreEqual(25, slots.Count(s => s >= 0));
        Assert.AreEqual(5, slots.Count(s => s == ClientLimiter.OverShare));
        int other = limiter.TryEnterUpstream(Client("192.168.1.10"), DnsTransport.Udp);
        Assert.IsGreaterThanOrEqualTo(0, other, "another client has its own share");
        limiter.ExitUpstream(slots[0], DnsTransport.Udp);
        Assert.IsGreaterThanOrEqualTo(0, limiter.TryEnterUpstream(flooder, DnsTransport.Udp), "an answer in gives the slot back");
        Assert.AreEqual(26, limiter.Waiting(DnsTransport.Udp), "refused queries are not counted as waiting");
    }

    [TestMethod]
    public void UpstreamBudget_IsMaxInFlightPerTransport()
    {
        ClientLimiter limiter = Create(new TestConfig().Set("Dns:MaxInFlight", "16").Set("RateLimit:UpstreamShare", "100"));

        int[] udp = [.. Enumerable.Range(0, 20).Select(i => limiter.TryEnterUpstream(Client($"192.168.1.{i + 1}"), DnsTransport.Udp))];
        int tcp = limiter.TryEnterUpstream(Client("192.168.1.1"), DnsTransport.Tcp);

        Assert.AreEqual(16, udp.Count(s => s >= ClientLimiter.Untracked));
        Assert.AreEqual(4, udp.Count(s => s == ClientLimiter.OverBudget));
        Assert.AreEqual(ClientLimiter.Untracked, tcp, "TCP has its own budget");
    }

    [TestMethod]
    public void AFloodOfNewAddresses_NeverLosesTheCountOfQueriesWaiting()
    {
        // Far more clients than the table holds: entries with upstream waits are kept, so every slot is given back where it was taken.
        ClientLimiter limiter = Create(new TestConfig().Set("Dns:MaxInFlight", "100000").Set("RateLimit:UpstreamShare", "1").Set("RateLimit:Rate", "1").Set("RateLimit:Burst", "1"));
        ClientAddress steady = Client("10.9.9.9");
        int[] held = [.. Enumerable.Range(0, 1000).Select(_ => limiter.TryEnterUpstream(steady, DnsTransport.Udp))];
        Assert.AreEqual(ClientLimiter.OverShare, limiter.TryEnterUpstream(steady, DnsTransport.Udp), "1 % of 100,000: the steady client holds its share");

        var random = new Random(12);
        for (int i = 0; i < 100_000; i++)
        {
            var spoofed = new ClientAddress((uint)random.Next(), true, 1);
            limiter.TryTake(spoofed);
            int slot = limiter.TryEnterUpstream(spoofed, DnsTransport.Udp);
            limiter.ExitUpstream(slot, DnsTransport.Udp);
        }

        Assert.AreEqual(ClientLimiter.OverShare, limiter.TryEnterUpstream(steady, DnsTransport.Udp), "its count survived the flood");
        foreach (int slot in held)
        {
            limiter.ExitUpstream(slot, DnsTransport.Udp);
        }

        Assert.AreEqual(0, limiter.Waiting(DnsTransport.Udp));
        Assert.IsGreaterThanOrEqualTo(0, limiter.TryEnterUpstream(steady, DnsTransport.Udp), "and every slot came back");
    }
}

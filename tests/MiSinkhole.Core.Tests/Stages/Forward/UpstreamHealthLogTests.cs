using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>An upstream that stops answering is logged once when it goes down and once when it is back, not per query.</summary>
[TestClass]
public sealed class UpstreamHealthLogTests
{
    private static Task<DnsAnswer?> AskAsync(UpstreamResolver resolver, string name) =>
        resolver.ResolveAsync(DnsName.FromText(name), 1, 1, dnssecOk: false, checkingDisabled: false);

    [TestMethod]
    public async Task SilentUpstream_IsLoggedOnceDown_AndOnceBack()
    {
        await using var upstream = new FakeUpstream();
        var logger = new FakeLogger<UpstreamResolver>();
        var options = new UpstreamOptions { Servers = [UpstreamServer.Plain(upstream.EndPoint)], AttemptTimeout = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(200) };
        await using var resolver = new UpstreamResolver(options, new UpstreamFactory(new SocketUdpExchange()), logger, TestMeters.Factory());

        Assert.IsNotNull(await AskAsync(resolver, "before.example"));
        upstream.Handler = _ => FakeReply.Drop;
        for (int i = 0; i < 2 * UpstreamHealth.DownAfter; i++)
        {
            Assert.IsNull(await AskAsync(resolver, $"down{i}.example"), "the upstream is silent");
        }

        List<FakeLogRecord> whileDown = [.. logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Information)];
        upstream.Handler = FakeUpstream.DefaultAnswer;
        for (int i = 0; i < 3; i++)
        {
            Assert.IsNotNull(await AskAsync(resolver, $"up{i}.example"), "the upstream answers again");
        }

        List<FakeLogRecord> records = [.. logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Information)];
        Assert.HasCount(1, whileDown, string.Join("\n", whileDown.Select(r => r.Message)));
        Assert.HasCount(2, records, string.Join("\n", records.Select(r => r.Message)));
        Assert.AreEqual(LogLevel.Warning, records[0].Level);
        Assert.AreEqual(LogEventIds.Upstreams + 4, records[0].Id.Id);
        StringAssert.Contains(records[0].Message, $"Upstream {upstream.EndPoint} is not answering ({UpstreamHealth.DownAfter} attempts in a row, last: timeout)");
        Assert.AreEqual(LogLevel.Information, records[1].Level);
        Assert.AreEqual(LogEventIds.Upstreams + 5, records[1].Id.Id);
        StringAssert.Contains(records[1].Message, $"Upstream {upstream.EndPoint} answers again");
        StringAssert.Contains(records[1].Message, $"{2 * UpstreamHealth.DownAfter} attempts without an answer");
    }

    [TestMethod]
    public async Task FewerFailuresThanTheThreshold_AndServfail_AreNoOutage()
    {
        await using var upstream = new FakeUpstream();
        var logger = new FakeLogger<UpstreamResolver>();
        var options = new UpstreamOptions { Servers = [UpstreamServer.Plain(upstream.EndPoint)], AttemptTimeout = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(200) };
        await using var resolver = new UpstreamResolver(options, new UpstreamFactory(new SocketUdpExchange()), logger, TestMeters.Factory());

        for (int round = 0; round < 3; round++)
        {
            upstream.Handler = _ => FakeReply.Drop;
            for (int i = 0; i < UpstreamHealth.DownAfter - 1; i++)
            {
                Assert.IsNull(await AskAsync(resolver, $"lost{round}-{i}.example"));
            }

            // SERVFAIL is an answer: the server is there, it just could not resolve the name.
            upstream.Handler = q => RawMessage.ResponseTo(q.Raw, rcode: 2).ToArray();
            Assert.IsNull(await AskAsync(resolver, $"servfail{round}.example"));
        }

        Assert.IsEmpty(logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Information).Select(r => r.Message));
    }

    [TestMethod]
    public async Task DownServer_IsBroughtBackByTheProbe_WithoutAClientQuery_LoggedOnce()
    {
        await using var upstream = new FakeUpstream { Handler = _ => FakeReply.Drop };
        var logger = new FakeLogger<UpstreamResolver>();
        var options = new UpstreamOptions { Servers = [UpstreamServer.Plain(upstream.EndPoint)], AttemptTimeout = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromMilliseconds(200) };
        await using var resolver = new UpstreamResolver(options, new UpstreamFactory(new SocketUdpExchange()), logger, TestMeters.Factory());
        for (int i = 0; i < UpstreamHealth.DownAfter; i++)
        {
            Assert.IsNull(await AskAsync(resolver, $"down{i}.example"));
        }

        upstream.Handler = FakeUpstream.DefaultAnswer;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!resolver.Status().Single().Healthy)
        {
            Assert.IsLessThan(20, clock.Elapsed.TotalSeconds, "the probe should bring it back");
            await Task.Delay(20);
        }

        List<FakeLogRecord> records = [.. logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Information)];
        Assert.HasCount(2, records, string.Join("\n", records.Select(r => r.Message)));
        Assert.AreEqual(LogEventIds.Upstreams + 5, records[1].Id.Id);
        StringAssert.Contains(records[1].Message, $"{UpstreamHealth.DownAfter} attempts without an answer", "probes are not counted as client attempts");
        Assert.AreEqual(UpstreamHealth.DownAfter, upstream.Received.Count(q => q.Name.StartsWith("down", StringComparison.Ordinal)));
    }
}

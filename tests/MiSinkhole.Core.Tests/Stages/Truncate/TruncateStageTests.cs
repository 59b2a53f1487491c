using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Truncate;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Truncate;

[TestClass]
public sealed class TruncateStageTests
{
    /// <summary>Thirty TXT records of 100 bytes: about 3.5 KB, more than any UDP client here takes.</summary>
    private static readonly MiSinkhole.Dns.DnsAnswer Large = StageHarness.Answer("big.example", m =>
    {
        for (int i = 0; i < 30; i++)
        {
            m = m.Txt(null, 300, new string((char)('a' + (i % 26)), 100));
        }

        return m;
    }, type: 16);

    [TestMethod]
    [DataRow(false, 512, DisplayName = "no EDNS: 512 bytes")]
    [DataRow(true, 1232, DisplayName = "EDNS 1232")]
    public async Task UdpAnswerLargerThanTheClientTakes_IsTruncated(bool edns, int limit)
    {
        var harness = new StageHarness().Query(RawMessage.Query("big.example", 16, edns: edns, payload: 1232));
        harness.Downstream = context => StageHarness.Forwarded(context, Large);

        await new TruncateStage(Options()).InvokeAsync(harness.Context, harness.Next);

        Assert.IsTrue(harness.Truncated, "TC=1: the client retries over TCP");
        Assert.IsLessThanOrEqualTo(limit, harness.Context.ResponseLength);
    }

    [TestMethod]
    [DataRow(4096, 1232, DisplayName = "a client advertising 4096 gets at most the default Dns:MaxUdpSize")]
    [DataRow(65535, 1232, DisplayName = "a client advertising 65535 too")]
    [DataRow(4096, 600, DisplayName = "a smaller Dns:MaxUdpSize wins over the client's size")]
    public async Task UdpAnswers_NeverExceedMaxUdpSize_WhateverTheClientAdvertises(int advertised, int maxUdpSize)
    {
        MiSinkhole.Dns.DnsAnswer mid = StageHarness.Answer("mid.example", m =>
        {
            for (int i = 0; i < 15; i++)
            {
                m = m.Txt(null, 300, new string('m', 100));
            }

            return m;
        }, type: 16); // about 1,700 bytes: more than 1232, less than 4096
        var harness = new StageHarness().Query(RawMessage.Query("mid.example", 16, edns: true, payload: (ushort)advertised));
        harness.Downstream = context => StageHarness.Forwarded(context, mid);

        await new TruncateStage(Options(maxUdpSize)).InvokeAsync(harness.Context, harness.Next);

        Assert.IsTrue(harness.Truncated, "TC=1: the client retries over TCP");
        Assert.IsLessThanOrEqualTo(maxUdpSize, harness.Context.ResponseLength);
    }

    [TestMethod]
    public async Task TcpAnswers_AndAnswersThatFit_AreLeftAlone()
    {
        var tcp = new StageHarness().Query(RawMessage.Query("big.example", 16), transport: DnsTransport.Tcp);
        tcp.Downstream = context => StageHarness.Forwarded(context, Large);
        var small = new StageHarness().Query(RawMessage.Query("small.example", 1));
        small.Downstream = context => StageHarness.Forwarded(context, StageHarness.Answer("small.example", m => m.A(null, 300, "192.0.2.1")));

        await new TruncateStage(Options()).InvokeAsync(tcp.Context, tcp.Next);
        await new TruncateStage(Options()).InvokeAsync(small.Context, small.Next);

        Assert.IsFalse(tcp.Truncated);
        Assert.IsGreaterThan(3000, tcp.Context.ResponseLength);
        Assert.IsFalse(small.Truncated);
    }

    private static MiSinkhole.Core.Configuration.SinkholeOptions Options(int? maxUdpSize = null) =>
        new TestConfig().List("l", "/dev/null").Set("Dns:MaxUdpSize", maxUdpSize?.ToString(System.Globalization.CultureInfo.InvariantCulture)).Read(Path.GetTempPath());
}

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

        await new TruncateStage().InvokeAsync(harness.Context, harness.Next);

        Assert.IsTrue(harness.Truncated, "TC=1: the client retries over TCP");
        Assert.IsLessThanOrEqualTo(limit, harness.Context.ResponseLength);
    }

    [TestMethod]
    public async Task TcpAnswers_AndAnswersThatFit_AreLeftAlone()
    {
        var tcp = new StageHarness().Query(RawMessage.Query("big.example", 16), transport: DnsTransport.Tcp);
        tcp.Downstream = context => StageHarness.Forwarded(context, Large);
        var small = new StageHarness().Query(RawMessage.Query("small.example", 1));
        small.Downstream = context => StageHarness.Forwarded(context, StageHarness.Answer("small.example", m => m.A(null, 300, "192.0.2.1")));

        await new TruncateStage().InvokeAsync(tcp.Context, tcp.Next);
        await new TruncateStage().InvokeAsync(small.Context, small.Next);

        Assert.IsFalse(tcp.Truncated);
        Assert.IsGreaterThan(3000, tcp.Context.ResponseLength);
        Assert.IsFalse(small.Truncated);
    }
}

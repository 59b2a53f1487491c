using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Decode;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Decode;

[TestClass]
public sealed class DecodeStageTests
{
    private static async Task<StageHarness> RunAsync(byte[] raw)
    {
        var harness = new StageHarness().Query(raw, decode: false);
        await new DecodeStage().InvokeAsync(harness.Context, harness.Next);
        return harness;
    }

    [TestMethod]
    public async Task AQuery_IsParsed_WithItsNameLowercased_AndPassedOn()
    {
        StageHarness harness = await RunAsync(RawMessage.Query("Data.MiStat.Xiaomi.COM", DnsRecordType.AAAA, edns: true));

        Assert.AreEqual(1, harness.NextCalls);
        CollectionAssert.AreEqual(DnsName.FromText("data.mistat.xiaomi.com"), harness.Context.QueryName.ToArray());
        Assert.AreEqual(DnsRecordType.AAAA, harness.Context.Query.Type);
        Assert.AreEqual(0, harness.Context.ResponseLength);
    }

    [TestMethod]
    public async Task Malformed_GetsFormErr_AndGoesNoFurther()
    {
        byte[] query = RawMessage.Query("example.org", 1);
        StageHarness harness = await RunAsync(query[..^3]); // the question is cut short

        Assert.AreEqual(0, harness.NextCalls);
        Assert.AreEqual(Outcome.FormErr, harness.Context.Outcome);
        Assert.AreEqual(1, harness.ResponseCode);
    }

    [TestMethod]
    public async Task OtherOpcodes_GetNotImp_ZoneTransfers_Refused_Responses_NoReply()
    {
        byte[] status = RawMessage.Query("example.org", 1);
        status[2] = 2 << 3; // opcode STATUS
        byte[] response = RawMessage.Query("example.org", 1);
        response[2] |= 0x80; // QR=1: a response sent to us

        StageHarness notImp = await RunAsync(status);
        StageHarness axfr = await RunAsync(RawMessage.Query("example.org", DnsRecordType.AXFR));
        StageHarness dropped = await RunAsync(response);

        Assert.AreEqual((Outcome.NotImp, 4), (notImp.Context.Outcome, notImp.ResponseCode));
        Assert.AreEqual((Outcome.Refused, 5), (axfr.Context.Outcome, axfr.ResponseCode));
        Assert.AreEqual((Outcome.Dropped, 0), (dropped.Context.Outcome, dropped.Context.ResponseLength), "no reply to a response: no reflection loops");
        Assert.AreEqual(0, notImp.NextCalls + axfr.NextCalls + dropped.NextCalls);
    }
}

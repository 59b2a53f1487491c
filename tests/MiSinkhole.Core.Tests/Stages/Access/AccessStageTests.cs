using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Stages.Access;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Access;

[TestClass]
public sealed class AccessStageTests
{
    [TestMethod]
    [DataRow("192.168.1.10", true, DisplayName = "a private address passes with the default AllowedClients")]
    [DataRow("fd00::10", true, DisplayName = "a unique-local IPv6 address passes")]
    [DataRow("127.0.0.1", true, DisplayName = "loopback passes")]
    [DataRow("203.0.113.7", false, DisplayName = "a public address is refused: never an open resolver")]
    public async Task Clients_OutsideAllowedClients_AreRefusedHere(string client, bool allowed)
    {
        var stage = new AccessStage(new TestConfig().List("l", "/dev/null").Read(Path.GetTempPath()));
        var harness = new StageHarness().Query(RawMessage.Query("example.org", 1), client);

        await stage.InvokeAsync(harness.Context, harness.Next);

        Assert.AreEqual(allowed ? 1 : 0, harness.NextCalls);
        Assert.AreEqual(allowed ? Outcome.None : Outcome.Refused, harness.Context.Outcome);
        if (!allowed)
        {
            Assert.AreEqual(5, harness.ResponseCode, "REFUSED");
        }
    }

    [TestMethod]
    public async Task AllowedClients_Ranges_ReplaceTheDefault()
    {
        var stage = new AccessStage(new TestConfig().List("l", "/dev/null").Set("Dns:AllowedClients:0", "10.1.0.0/16").Read(Path.GetTempPath()));
        var inside = new StageHarness().Query(RawMessage.Query("example.org", 1), "10.1.2.3");
        var outside = new StageHarness().Query(RawMessage.Query("example.org", 1), "192.168.1.10");

        await stage.InvokeAsync(inside.Context, inside.Next);
        await stage.InvokeAsync(outside.Context, outside.Next);

        Assert.AreEqual(1, inside.NextCalls);
        Assert.AreEqual(Outcome.Refused, outside.Context.Outcome);
    }
}

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
        var harness = new StageHarness().Query(RawMessage.Query("example.org", 1), client, decode: false);

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
        var inside = new StageHarness().Query(RawMessage.Query("example.org", 1), "10.1.2.3", decode: false);
        var outside = new StageHarness().Query(RawMessage.Query("example.org", 1), "192.168.1.10", decode: false);

        await stage.InvokeAsync(inside.Context, inside.Next);
        await stage.InvokeAsync(outside.Context, outside.Next);

        Assert.AreEqual(1, inside.NextCalls);
        Assert.AreEqual(Outcome.Refused, outside.Context.Outcome);
    }

    [TestMethod]
    [DataRow("malformed (a label past the packet's end)", DisplayName = "malformed: no FORMERR")]
    [DataRow("NOTIFY", DisplayName = "another opcode: no NOTIMP")]
    [DataRow("EDNS version 1", DisplayName = "EDNS version 1: no BADVERS")]
    [DataRow("two questions", DisplayName = "QDCOUNT 2: no FORMERR")]
    public async Task Strangers_GetNothing_ForAnythingButAWellFormedQuery(string what)
    {
        byte[] packet = what switch
        {
            "NOTIFY" => RawMessage.Query("zone.example", 6, flags: 4 << 11),
            "EDNS version 1" => RawMessage.Query("v1.example", 1, edns: true, ednsVersion: 1),
            "two questions" => RawMessage.Header(5, 0x0100).Question("a.example", 1).Question("b.example", 1).SetCount(0, 2).ToArray(),
            _ => [.. RawMessage.Header(4, 0x0100).SetCount(0, 1).ToArray(), 5, 97, 98],
        };
        var stage = new AccessStage(new TestConfig().List("l", "/dev/null").Read(Path.GetTempPath()));
        var stranger = new StageHarness().Query(packet, "203.0.113.7", decode: false);

        await stage.InvokeAsync(stranger.Context, stranger.Next);

        Assert.AreEqual(0, stranger.NextCalls, what);
        Assert.AreEqual(0, stranger.Context.ResponseLength, $"{what}: a stranger gets no answer at all");
        Assert.AreEqual(Outcome.Dropped, stranger.Context.Outcome);
    }
}

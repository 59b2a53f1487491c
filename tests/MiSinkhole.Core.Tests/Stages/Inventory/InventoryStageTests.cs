using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Inventory;
using MiSinkhole.Core.Stages.Inventory;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Inventory;

[TestClass]
public sealed class InventoryStageTests
{
    [TestMethod]
    public async Task AnsweredQuery_IsRecordedForItsClient_AnUnansweredOneIsNot()
    {
        var time = new FakeTimeProvider();
        var xiaomi = new XiaomiClients();
        var resolver = new ClientPolicyResolver(NoNeighbours.Instance, xiaomi, new BlockingPause(time, NullLogger<BlockingPause>.Instance), time);
        var inventory = new DeviceInventory(time, NoNeighbours.Instance, NoClientNames.Instance, xiaomi, resolver, TestMeters.Factory());
        var stage = new InventoryStage(inventory);
        var answered = new StageHarness().Query("www.example.org", client: "192.168.1.40");
        answered.Downstream = context => StageHarness.Forwarded(context, StageHarness.Answer("www.example.org", m => m.A(null, 300, "192.0.2.1")));
        var dropped = new StageHarness().Query("www.example.org", client: "192.168.1.41");

        await stage.InvokeAsync(answered.Context, answered.Next);
        await stage.InvokeAsync(answered.Query("www.example.org", client: "192.168.1.40").Context, answered.Next);
        await stage.InvokeAsync(dropped.Context, dropped.Next);

        Assert.AreEqual(2, inventory.Find("192.168.1.40")?.Queries);
        Assert.IsNull(inventory.Find("192.168.1.41"), "a query that got no answer is no evidence of anything");
    }
}

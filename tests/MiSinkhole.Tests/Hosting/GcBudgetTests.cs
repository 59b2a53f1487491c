using System.Text.Json;

namespace MiSinkhole.Tests.Hosting;

/// <summary>
/// The daemon's runtime configuration caps the GC's gen0 budget: without it the budget follows
/// the L3 cache size (60–90 MB of gen0 regions under a forwarding load, all of it RSS); and
/// it conserves memory, compacting a fragmented gen2 rather than keeping the free space.
/// </summary>
[TestClass]
public sealed class GcBudgetTests
{
    [TestMethod]
    public void TheDaemon_CapsTheGen0Budget_At4MiB()
    {
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "misinkhole.runtimeconfig.json")));

        JsonElement properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.IsTrue(properties.TryGetProperty("System.GC.Gen0MaxBudget", out JsonElement budget), properties.ToString());
        Assert.AreEqual(4L * 1024 * 1024, budget.GetInt64());
        Assert.IsFalse(properties.GetProperty("System.GC.Server").GetBoolean(), "workstation GC: one heap, which the cap bounds");
        Assert.AreEqual(7, properties.GetProperty("System.GC.ConserveMemory").GetInt32(), "gen2 compacted rather than kept fragmented (the cache's evictions)");
    }
}

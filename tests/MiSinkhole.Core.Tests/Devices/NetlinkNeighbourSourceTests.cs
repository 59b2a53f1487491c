using MiSinkhole.Core.Devices;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>The real netlink dump of the machine running the tests (Linux only).</summary>
[TestClass]
public sealed class NetlinkNeighbourSourceTests
{
    [TestMethod]
    public void LiveDump_AgreesWithProcNetArp_ForCompleteIPv4Entries()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("Netlink and /proc/net/arp are Linux only");
        }

        // The table may change between the reads: accept a comparison only when /proc/net/arp
        // read the same before and after the dump.
        for (int attempt = 1; ; attempt++)
        {
            NeighbourEntry[] before = [.. ProcNetArpParser.Parse(File.ReadAllText("/proc/net/arp"))];
            using var raw = new MemoryStream();
            IReadOnlyList<NeighbourEntry> netlink = NetlinkNeighbourSource.Read(raw);
            NeighbourEntry[] after = [.. ProcNetArpParser.Parse(File.ReadAllText("/proc/net/arp"))];
            if (attempt < 5 && !before.ToHashSet().SetEquals(after))
            {
                continue;
            }

            CollectionAssert.AreEquivalent(after, netlink.Where(e => e.Address.IsIPv4).ToArray());
            CollectionAssert.AreEqual(netlink.ToArray(), NetlinkNeighbourParser.ParseDump(raw.ToArray()).ToArray(), "the raw reply parses to the same entries");
            Assert.IsTrue(netlink.All(e => e.Address.Port == 0 && e.Mac.Value != 0));
            return;
        }
    }

    [TestMethod]
    public void OffLinux_ReadIsNotSupported()
    {
        if (OperatingSystem.IsLinux())
        {
            Assert.IsTrue(NetlinkNeighbourSource.IsSupported);
            return;
        }

        Assert.IsFalse(NetlinkNeighbourSource.IsSupported);
        Assert.ThrowsExactly<PlatformNotSupportedException>(() => NetlinkNeighbourSource.Read());
    }
}

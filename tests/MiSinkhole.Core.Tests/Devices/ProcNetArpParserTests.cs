using System.Net;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>/proc/net/arp as Linux prints it: a capture of this machine's and a hand-written home router's.</summary>
[TestClass]
public sealed class ProcNetArpParserTests
{
    private const string Header = "IP address       HW type     Flags       HW address            Mask     Device";

    internal static string ReadData(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", name));

    internal static NeighbourEntry Entry(string address, string mac)
    {
        Assert.IsTrue(MacAddress.TryParse(mac, out MacAddress parsed), mac);
        return new NeighbourEntry(ClientAddress.FromIPAddress(IPAddress.Parse(address)), parsed);
    }

    [TestMethod]
    public void CapturedFromThisMachine_GivesItsOneCompleteEntry()
    {
        IReadOnlyList<NeighbourEntry> entries = ProcNetArpParser.Parse(ReadData("proc-net-arp.vm.txt"));

        CollectionAssert.AreEqual(new[] { Entry("192.0.2.1", "02:fc:00:00:00:05") }, entries.ToArray());
        Assert.IsTrue(entries[0].Address.IsIPv4);
        Assert.AreEqual(0xC0000201u, (uint)entries[0].Address.Bits);
    }

    [TestMethod]
    public void HomeRouter_KeepsCompleteAndStaticEntriesOnEveryInterface_SkipsIncompleteOnes()
    {
        IReadOnlyList<NeighbourEntry> entries = ProcNetArpParser.Parse(ReadData("proc-net-arp.router.txt"));

        CollectionAssert.AreEqual(
            new[]
            {
                Entry("192.168.1.23", "a4:50:46:1c:7e:02"),
                Entry("192.168.1.57", "3c:22:fb:91:0a:6d"),
                Entry("192.168.1.5", "b8:27:eb:12:34:56"),  // flags 0x6: a static entry (ATF_PERM | ATF_COM)
                Entry("10.10.0.12", "64:90:c1:2d:e5:3a"),   // guest bridge
                Entry("192.168.1.88", "50:ec:50:0b:77:c1"),
                Entry("100.64.0.1", "00:1a:2b:3c:4d:5e"),   // WAN gateway
            },
            entries.ToArray(),
            "192.168.1.140 and .201 (flags 0x0, 00:00:00:00:00:00) are incomplete");
    }

    [TestMethod]
    public void ParseIntoACollection_AddsAndCounts()
    {
        var entries = new List<NeighbourEntry> { Entry("10.0.0.1", "02:00:00:00:00:01") };

        int added = ProcNetArpParser.Parse(ReadData("proc-net-arp.router.txt"), entries);

        Assert.AreEqual(6, added);
        Assert.HasCount(7, entries);
        Assert.AreEqual(Entry("10.0.0.1", "02:00:00:00:00:01"), entries[0]);
    }

    [TestMethod]
    [DataRow("", DisplayName = "empty line")]
    [DataRow("garbage", DisplayName = "one word")]
    [DataRow("192.168.1.9      0x1         0x2         aa:bb:cc:dd:ee:ff", DisplayName = "cut off after the MAC")]
    [DataRow("192.168.1.9      0x1         0x2         aa:bb:cc:dd:ee:ff     *        eth0 extra", DisplayName = "extra field")]
    [DataRow("192.168.1.256    0x1         0x2         aa:bb:cc:dd:ee:ff     *        eth0", DisplayName = "octet > 255")]
    [DataRow("192.168.1        0x1         0x2         aa:bb:cc:dd:ee:ff     *        eth0", DisplayName = "three octets")]
    [DataRow("192.168.1.9.1    0x1         0x2         aa:bb:cc:dd:ee:ff     *        eth0", DisplayName = "five octets")]
    [DataRow("1                0x1         0x2         aa:bb:cc:dd:ee:ff     *        eth0", DisplayName = "IPAddress.TryParse would take this")]
    [DataRow("fe80::1          0x1         0x2         aa:bb:cc:dd:ee:ff     *        eth0", DisplayName = "IPv6 address")]
    [DataRow("192.168.1.9      0x1         0x2         aa:bb:cc:dd:ee        *        eth0", DisplayName = "5-byte MAC")]
    [DataRow("192.168.1.9      0x1         0x2         aa:bb:cc:dd:ee:gg     *        eth0", DisplayName = "bad hex in MAC")]
    [DataRow("192.168.1.9      0x1         0x2         aabb.ccdd.eeff        *        eth0", DisplayName = "MAC not in kernel format")]
    [DataRow("192.168.1.9      0x1         2           aa:bb:cc:dd:ee:ff     *        eth0", DisplayName = "flags without 0x")]
    [DataRow("192.168.1.9      0x1         0xz2        aa:bb:cc:dd:ee:ff     *        eth0", DisplayName = "bad hex in flags")]
    [DataRow("192.168.1.9      0x1         0x0         aa:bb:cc:dd:ee:ff     *        eth0", DisplayName = "incomplete with a MAC")]
    [DataRow("192.168.1.9      0x1         0x2         00:00:00:00:00:00     *        eth0", DisplayName = "complete with a zero MAC")]
    [DataRow("192.168.1.9      0x1         0xc         00:00:00:00:00:00     *        eth0", DisplayName = "proxy ARP (ATF_PUBL | ATF_PERM)")]
    [DataRow("192.168.1.9      0x20        0x2         80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:1b:2c *        ib0", DisplayName = "InfiniBand 20-byte address")]
    public void BadOrUnusableLine_IsSkipped_AndTheLinesAroundItStillParse(string line)
    {
        string text = $"{Header}\n192.168.1.2      0x1         0x2         02:00:00:00:00:02     *        eth0\n{line}\n192.168.1.3      0x1         0x2         02:00:00:00:00:03     *        eth0\n";

        IReadOnlyList<NeighbourEntry> entries = ProcNetArpParser.Parse(text);

        CollectionAssert.AreEqual(new[] { Entry("192.168.1.2", "02:00:00:00:00:02"), Entry("192.168.1.3", "02:00:00:00:00:03") }, entries.ToArray());
    }

    [TestMethod]
    public void HeaderOnly_OrNothing_IsEmpty()
    {
        Assert.IsEmpty(ProcNetArpParser.Parse(Header + "\n"));
        Assert.IsEmpty(ProcNetArpParser.Parse(""));
    }
}

using System.Net;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Tests.Devices;

/// <summary>dnsmasq and ISC dhcpd lease files as those daemons write them (Data/), and damaged ones.</summary>
[TestClass]
public sealed class LeaseParserTests
{
    private static IReadOnlyList<LeaseEntry> Parse(string file) =>
        LeaseFile.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", file))).Entries;

    private static LeaseEntry? Find(IReadOnlyList<LeaseEntry> entries, string address) =>
        entries.SingleOrDefault(e => e.Address == ClientAddress.FromIPAddress(IPAddress.Parse(address)));

    [TestMethod]
    [DataRow("dnsmasq.leases", "192.168.1.23", "MacBook-Pro", "3c:22:fb:12:34:56", 1795543200L)]
    [DataRow("dnsmasq.leases", "192.168.1.42", "Annas-iPhone", "a4:83:e7:ab:cd:ef", 1795552800L)]
    [DataRow("dnsmasq.leases", "192.168.1.61", null, "64:90:c1:aa:bb:cc", 1795543200L, DisplayName = "no host name (*)")]
    [DataRow("dnsmasq.leases", "192.168.1.5", "nas", "00:11:32:9a:bc:de", 0L, DisplayName = "expiry 0: infinite lease")]
    [DataRow("dnsmasq.leases", "192.168.1.77", "old-laptop", "f0:9f:c2:33:44:55", 1795511400L, DisplayName = "expired: still parsed, the resolver ignores it")]
    [DataRow("dnsmasq.leases", "192.168.1.90", "ib-node", null, 1795543200L, DisplayName = "non-Ethernet hardware: no MAC")]
    [DataRow("dnsmasq.leases", "2001:db8:1::1a3", "MacBook-Pro", null, 1795543200L)]
    [DataRow("dnsmasq.leases", "fd00::5b2", null, null, 1795552800L, DisplayName = "temporary address (T IAID)")]
    [DataRow("dnsmasq.leases", "2001:db8:1::7e2", "raspberrypi", null, 1795534200L)]
    [DataRow("dhcpd.leases", "192.168.10.20", "DESKTOP-7KQ2M1", "3c:22:fb:12:34:56", 1795543200L, DisplayName = "uid with an escaped quote before client-hostname")]
    [DataRow("dhcpd.leases", "192.168.10.23", "living-room-tv", "70:2a:d5:10:20:30", 1795558500L, DisplayName = "free, then active later: the last block wins")]
    [DataRow("dhcpd.leases", "192.168.10.26", "thermostat", "18:b4:30:44:55:66", 1795550400L, DisplayName = "no client-hostname: ddns-hostname")]
    [DataRow("dhcpd.leases", "192.168.10.27", "nas", "00:11:32:9a:bc:de", 0L, DisplayName = "ends never")]
    [DataRow("dhcpd.leases", "192.168.10.28", "kitchen-speaker", "2c:f0:5d:77:88:99", 1795543200L, DisplayName = "db-time-format local: ends epoch")]
    [DataRow("dhcpd6.leases", "2001:db8:10::1c4", "desktop-7kq2m1.home.arpa", null, 1795543205L, DisplayName = "ia-na iaaddr named by ddns-fwd-name")]
    [DataRow("dhcpd6.leases", "2001:db8:10::2b7", null, null, 1795554000L)]
    public void SampleFile_GivesTheLease(string file, string address, string? name, string? mac, long expires)
    {
        LeaseEntry? entry = Find(Parse(file), address);

        Assert.IsNotNull(entry, address);
        Assert.AreEqual(name, entry.HostName);
        Assert.AreEqual(mac, entry.Mac?.ToString());
        Assert.AreEqual(expires == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(expires), entry.Expires);
    }

    [TestMethod]
    [DataRow("dnsmasq.leases", "192.168.1.1", DisplayName = "truncated last line (file read while dnsmasq wrote it)")]
    [DataRow("dhcpd.leases", "192.168.10.21", DisplayName = "binding state free")]
    [DataRow("dhcpd.leases", "192.168.10.22", DisplayName = "active, then released later in the file")]
    [DataRow("dhcpd.leases", "192.168.10.24", DisplayName = "abandoned")]
    [DataRow("dhcpd.leases", "192.168.10.25", DisplayName = "expired")]
    [DataRow("dhcpd.leases", "192.168.10.30", DisplayName = "the file ends inside the block")]
    [DataRow("dhcpd6.leases", "2001:db8:10::99", DisplayName = "iaaddr expired")]
    [DataRow("dhcpd6.leases", "2001:db8:20::", DisplayName = "ia-pd prefixes are not client addresses")]
    public void SampleFile_HasNoLeaseFor(string file, string address)
    {
        Assert.IsNull(Find(Parse(file), address));
    }

    [TestMethod]
    [DataRow("dnsmasq.leases", "dnsmasq", 10)]
    [DataRow("dhcpd.leases", "ISC dhcpd", 5)]
    [DataRow("dhcpd6.leases", "ISC dhcpd", 2)]
    public void FormatIsDetectedFromTheContent(string file, string format, int leases)
    {
        (IReadOnlyList<LeaseEntry> entries, string detected) = LeaseFile.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", file)));

        Assert.AreEqual(format, detected);
        Assert.HasCount(leases, entries);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("duid 00:01:00:01:2c:5e:1a:2b:dc:a6:32:01:02:03")]
    [DataRow("soon 3c:22:fb:12:34:56 192.168.1.2 host *")]
    [DataRow("-5 3c:22:fb:12:34:56 192.168.1.2 host *")]
    [DataRow("99999999999999999999 3c:22:fb:12:34:56 192.168.1.2 host *")]
    [DataRow("1795543200 3c:22:fb:12:34:56 192.168.1.300 host *")]
    [DataRow("1795543200 3c:22:fb:12:34:56 192.168.1.2")]
    [DataRow("1795543200 3c:22:fb:12:34:56 laptop 192.168.1.2 *")]
    [DataRow("1795543200 not-an-iaid 2001:db8::1 host 00:01:00:01")]
    public void DnsmasqLine_Malformed_IsSkipped(string line)
    {
        Assert.IsFalse(DnsmasqLeaseParser.TryParseLine(line, out _));
        Assert.IsEmpty(DnsmasqLeaseParser.Parse(line + "\n"));
    }

    [TestMethod]
    public void DnsmasqFile_KeepsGoodLinesAroundBadOnes()
    {
        string text = "garbage\n1795543200 3c:22:fb:12:34:56 192.168.1.2 laptop *\n\n\t\n1795543200 3c:22:fb:12:34:56\n1795543200  a4:83:e7:ab:cd:ef\t192.168.1.3  phone  *\r\n";

        IReadOnlyList<LeaseEntry> entries = DnsmasqLeaseParser.Parse(text);

        CollectionAssert.AreEqual(new[] { "laptop", "phone" }, entries.Select(e => e.HostName).ToArray());
    }

    [TestMethod]
    [DataRow("client-hostname \"Anna\\342\\200\\231s iPhone\";", "Anna\u2019s iPhone", DisplayName = "octal escapes are UTF-8 bytes")]
    [DataRow("client-hostname \"a#b{c}d;e\";", "a#b{c}d;e", DisplayName = "comment and brace characters inside a string")]
    [DataRow("client-hostname \"say \\\"hi\\\"\";", "say \"hi\"", DisplayName = "escaped quotes")]
    [DataRow("on commit { set x = \"y\"; } client-hostname \"after-on\";", "after-on", DisplayName = "a nested block is skipped")]
    [DataRow("client-hostname \"old\"; # a comment { ; }\n client-hostname \"new\";", "new", DisplayName = "comment to the end of the line")]
    public void IscBlock_Statements(string statements, string name)
    {
        string text = $"lease 10.0.0.1 {{\n  ends 2 2026/11/24 18:00:00;\n  binding state active;\n  {statements}\n}}\n";

        IReadOnlyList<LeaseEntry> entries = IscDhcpdLeaseParser.Parse(text);

        Assert.HasCount(1, entries);
        Assert.AreEqual(name, entries[0].HostName);
    }

    [TestMethod]
    public void IscFile_DamagedParts_AreSkipped_OthersKept()
    {
        const string text = """
            } stray brace;
            lease 10.0.0.1 { ends 2 tomorrow; binding state active; client-hostname "bad-ends"; }
            lease 10.0.0.2 { starts 4 2008/05/01 10:00:00; client-hostname "no-binding-state"; }
            lease not-an-address { binding state active; client-hostname "x"; }
            lease 2001:db8::1 { binding state active; client-hostname "v6-in-lease"; }
            failover peer "dhcp-failover" state { my state normal at 2 2026/11/24 06:00:00; }
            lease 10.0.0.3 { binding state backup; client-hostname "backup"; }
            lease 10.0.0.4 { binding state active; hardware token-ring 00:00:00:00:00:01; client-hostname "ok"; }
            """;

        IReadOnlyList<LeaseEntry> entries = IscDhcpdLeaseParser.Parse(text);

        CollectionAssert.AreEqual(new[] { "no-binding-state", "ok" }, entries.Select(e => e.HostName).ToArray());
        Assert.IsNull(entries[0].Expires);
        Assert.IsNull(entries[1].Mac, "only Ethernet hardware addresses are MACs");
    }
}

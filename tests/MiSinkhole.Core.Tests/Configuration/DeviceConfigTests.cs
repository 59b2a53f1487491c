using System.Net;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Configuration;

[TestClass]
public sealed class DeviceConfigTests
{
    private static (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) Read(TestConfig config) => config
        .Policy("strict", block: ["xiaomi"])
        .Policy("observe", log: ["xiaomi"])
        .List("xiaomi", "/dev/null")
        .ReadWithProblems(Path.GetTempPath());

    [TestMethod]
    public void Devices_TakeAddressesRangesAndMacs()
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read(new TestConfig()
            .Device("phone", "observe", "192.168.1.23", "AA-BB-CC-DD-EE-FF", "fd00::23/128")
            .Device("kids", null, "192.168.1.64/26", "fd00:1::/64")
            .Device("kids-tablet", "strict", "clientid:Kids-Tablet")
            .AutoPolicy("strict")
            .Set("Devices:NameServer", "192.168.1.1")
            .Set("Devices:LeaseFiles:0", "/tmp/dnsmasq.leases")
            .Set("Devices:TrustedForwarders:0", "192.168.1.1")
            .Set("Devices:TrustedForwarders:1", "fd00:9::/64"));

        Assert.IsEmpty(problems, string.Join("\n", problems));
        Assert.IsTrue(options.Devices.TrustedForwarders.Contains(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.1"))));
        Assert.IsTrue(options.Devices.TrustedForwarders.Contains(ClientAddress.FromIPAddress(IPAddress.Parse("fd00:9::53"))));
        Assert.IsFalse(options.Devices.TrustedForwarders.Contains(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.2"))), "only the router");
        DeviceOptions phone = options.Devices.Devices.Single(d => d.Name == "phone");
        Assert.AreEqual("observe", phone.Policy);
        CollectionAssert.AreEqual(new[] { "192.168.1.23", "fd00::23" }, phone.Addresses.Select(a => a.ToString()).ToArray());
        Assert.AreEqual("aa:bb:cc:dd:ee:ff", phone.Macs.Single().ToString());
        Assert.IsEmpty(phone.Networks);
        DeviceOptions kids = options.Devices.Devices.Single(d => d.Name == "kids");
        Assert.IsNull(kids.Policy);
        CollectionAssert.AreEqual(new[] { "192.168.1.64/26", "fd00:1::/64" }, kids.Networks.Select(n => n.ToString()).ToArray());
        Assert.AreEqual("strict", options.Devices.AutoPolicy);
        Assert.AreEqual(new IPEndPoint(IPAddress.Parse("192.168.1.1"), 53), options.Devices.NameServer);
        CollectionAssert.AreEqual(new[] { "/tmp/dnsmasq.leases" }, options.Devices.LeaseFiles.ToArray());
        CollectionAssert.AreEqual(new[] { "kids-tablet" }, options.Devices.Devices.Single(d => d.Name == "kids-tablet").ClientIds.ToArray(), "lower case, as the SNI comes");
        Assert.HasCount(3, options.Devices.Devices);
    }

    [TestMethod]
    public void EveryDeviceProblem_IsReportedWithItsKey()
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new TestConfig()
            .Device("phone", "lenient", "192.168.1.300", "aa:bb:cc:dd:ee")
            .Set("Devices:phone:Colour", "red")
            .Device("tv", "strict") // no Match
            .AutoPolicy("nope")
            .Set("Devices:NameServer", "router.lan")
            .Set("Devices:TrustedForwarders:0", "router.lan")
            .Device("Unknown", null, "10.0.0.9")
            .Device("tablet", null, "clientid:kids tablet"));

        string all = string.Join("\n", problems);
        StringAssert.Contains(all, "Devices:phone:Match:0: '192.168.1.300' is not an IP address, a CIDR range");
        StringAssert.Contains(all, "Devices:phone:Match:1: 'aa:bb:cc:dd:ee' is not an IP address");
        StringAssert.Contains(all, "Devices:phone:Policy: unknown policy 'lenient' (have: observe, strict)");
        StringAssert.Contains(all, "Devices:phone:Colour: unknown key");
        StringAssert.Contains(all, "Devices:tv:Match: a device needs at least one address");
        StringAssert.Contains(all, "Devices:AutoPolicy: unknown policy 'nope'");
        StringAssert.Contains(all, "Devices:NameServer: 'router.lan' is not an address");
        StringAssert.Contains(all, "Devices:Unknown: 'Unknown' cannot be a device name");
        StringAssert.Contains(all, "Devices:TrustedForwarders:0: 'router.lan' is not an address or a CIDR range");
        StringAssert.Contains(all, "Devices:tablet:Match:0: 'clientid:kids tablet' is not a client ID");
        Assert.HasCount(10, problems);
    }

    [TestMethod]
    [DataRow("192.168.1.5", "192.168.1.5/32", DisplayName = "same address, written two ways")]
    [DataRow("aa:bb:cc:dd:ee:ff", "AABB.CCDD.EEFF", DisplayName = "same MAC, written two ways")]
    [DataRow("10.0.0.0/8", "10.1.2.3/8", DisplayName = "same range (host bits ignored)")]
    [DataRow("clientid:tablet", "clientid:TABLET", DisplayName = "same client ID, in another case")]
    public void TwoDevicesClaimingTheSameThing_IsATieNamingBoth(string first, string second)
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new TestConfig().Device("alice", null, first).Device("bob", null, second));

        ConfigError tie = problems.Single();
        Assert.AreEqual("Devices:bob:Match:0", tie.Key);
        StringAssert.Contains(tie.Message, "a tie between 'alice' and 'bob'");
    }

    [TestMethod]
    public void NestedRangesAreNoTie_TheNarrowestWins()
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read(new TestConfig()
            .Device("home", "observe", "192.168.0.0/16")
            .Device("kids", "strict", "192.168.1.64/26"));

        Assert.IsEmpty(problems);
        (MiSinkhole.Core.Configuration.ConfigSnapshot snapshot, _) = MiSinkhole.Core.Configuration.ActiveConfig.Compile(options);
        Assert.AreEqual("kids", snapshot.Devices.Resolve(ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.70"))), NoNeighbours.Instance)?.Name);
        Assert.AreEqual("home", snapshot.Devices.Resolve(ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.10"))), NoNeighbours.Instance)?.Name);
        Assert.AreEqual("strict", snapshot.Devices.Find("KIDS")?.Policy.Name);
    }
}

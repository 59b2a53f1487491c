using System.Net;
using Microsoft.Extensions.Configuration;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Tests.Configuration;

[TestClass]
public sealed class DeviceConfigTests
{
    private static (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) Read(Dictionary<string, string?> values)
    {
        values["Policies:strict:Block:0"] = "xiaomi";
        values["Policies:observe:Log:0"] = "xiaomi";
        values["Lists:xiaomi:Sources:0"] = "/dev/null";
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return SinkholeConfigReader.Read(configuration, Path.GetTempPath());
    }

    [TestMethod]
    public void Devices_TakeAddressesRangesAndMacs()
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read(new()
        {
            ["Devices:phone:Match:0"] = "192.168.1.23",
            ["Devices:phone:Match:1"] = "AA-BB-CC-DD-EE-FF",
            ["Devices:phone:Match:2"] = "fd00::23/128",
            ["Devices:phone:Policy"] = "observe",
            ["Devices:kids:Match:0"] = "192.168.1.64/26",
            ["Devices:kids:Match:1"] = "fd00:1::/64",
            ["Devices:AutoPolicy"] = "strict",
            ["Devices:NameServer"] = "192.168.1.1",
            ["Devices:LeaseFiles:0"] = "/tmp/dnsmasq.leases",
        });

        Assert.IsEmpty(problems, string.Join("\n", problems));
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
        Assert.HasCount(2, options.Devices.Devices);
    }

    [TestMethod]
    public void EveryDeviceProblem_IsReportedWithItsKey()
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new()
        {
            ["Devices:phone:Match:0"] = "192.168.1.300",
            ["Devices:phone:Match:1"] = "aa:bb:cc:dd:ee",
            ["Devices:phone:Policy"] = "lenient",
            ["Devices:phone:Colour"] = "red",
            ["Devices:tv:Policy"] = "strict",
            ["Devices:AutoPolicy"] = "nope",
            ["Devices:NameServer"] = "router.lan",
            ["Devices:Unknown:Match:0"] = "10.0.0.9",
        });

        string all = string.Join("\n", problems);
        StringAssert.Contains(all, "Devices:phone:Match:0: '192.168.1.300' is not an IP address, a CIDR range");
        StringAssert.Contains(all, "Devices:phone:Match:1: 'aa:bb:cc:dd:ee' is not an IP address");
        StringAssert.Contains(all, "Devices:phone:Policy: unknown policy 'lenient' (have: observe, strict)");
        StringAssert.Contains(all, "Devices:phone:Colour: unknown key");
        StringAssert.Contains(all, "Devices:tv:Match: a device needs at least one address");
        StringAssert.Contains(all, "Devices:AutoPolicy: unknown policy 'nope'");
        StringAssert.Contains(all, "Devices:NameServer: 'router.lan' is not an address");
        StringAssert.Contains(all, "Devices:Unknown: 'Unknown' cannot be a device name");
        Assert.HasCount(8, problems);
    }

    [TestMethod]
    [DataRow("192.168.1.5", "192.168.1.5/32", DisplayName = "same address, written two ways")]
    [DataRow("aa:bb:cc:dd:ee:ff", "AABB.CCDD.EEFF", DisplayName = "same MAC, written two ways")]
    [DataRow("10.0.0.0/8", "10.1.2.3/8", DisplayName = "same range (host bits ignored)")]
    public void TwoDevicesClaimingTheSameThing_IsATieNamingBoth(string first, string second)
    {
        (_, IReadOnlyList<ConfigError> problems) = Read(new()
        {
            ["Devices:alice:Match:0"] = first,
            ["Devices:bob:Match:0"] = second,
        });

        ConfigError tie = problems.Single();
        Assert.AreEqual("Devices:bob:Match:0", tie.Key);
        StringAssert.Contains(tie.Message, "a tie between 'alice' and 'bob'");
    }

    [TestMethod]
    public void NestedRangesAreNoTie_TheNarrowestWins()
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read(new()
        {
            ["Devices:home:Match:0"] = "192.168.0.0/16",
            ["Devices:kids:Match:0"] = "192.168.1.64/26",
            ["Devices:kids:Policy"] = "strict",
            ["Devices:home:Policy"] = "observe",
        });

        Assert.IsEmpty(problems);
        (MiSinkhole.Core.Configuration.ConfigSnapshot snapshot, _) = MiSinkhole.Core.Configuration.ActiveConfig.Compile(options);
        Assert.AreEqual("kids", snapshot.Devices.Resolve(ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.70"))), NoNeighbours.Instance)?.Name);
        Assert.AreEqual("home", snapshot.Devices.Resolve(ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.10"))), NoNeighbours.Instance)?.Name);
        Assert.AreEqual("strict", snapshot.Devices.Find("KIDS")?.Policy.Name);
    }
}

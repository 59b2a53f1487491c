using System.Net;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Policies;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Devices;

[TestClass]
public sealed class DeviceTableTests
{
    private static readonly CompiledPolicy Strict = new(new PolicyOptions { Name = "strict" }, []);
    private static readonly CompiledPolicy Observe = new(new PolicyOptions { Name = "observe" }, []);

    private static DeviceTable Table() => new(
        [
            new DeviceOptions { Name = "lan", Networks = [Network("192.168.1.0/24"), Network("fd00::/64")] },
            new DeviceOptions { Name = "kids", Policy = "strict", Networks = [Network("192.168.1.64/26")] },
            new DeviceOptions { Name = "phone", Policy = "observe", Macs = [Mac("aa:bb:cc:dd:ee:ff")] },
            new DeviceOptions { Name = "tv", Policy = "strict", Addresses = [Address("192.168.1.70")] },
            new DeviceOptions { Name = "tablet", Policy = "strict", ClientIds = ["kids-tablet"] },
        ],
        name => name switch { "strict" => Strict, "observe" => Observe, _ => Strict });

    [TestMethod]
    [DataRow("kids-tablet", "tablet", DisplayName = "its client ID, from the tv's address")]
    [DataRow("someone", null, DisplayName = "an unknown client ID is no device, whatever its address matches")]
    public void ClientId_AloneNamesTheDevice(string clientId, string? expected)
    {
        ClientIdentity client = ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse("192.168.1.70"))) with { ClientId = clientId };

        Assert.AreEqual(expected, Table().Resolve(client, NoNeighbours.Instance)?.Name);
        Assert.AreEqual($"clientid:{clientId}", client.ToString());
    }

    [TestMethod]
    [DataRow("192.168.1.70", "tv", DisplayName = "exact address beats MAC and ranges")]
    [DataRow("192.168.1.71", "phone", DisplayName = "MAC beats the ranges")]
    [DataRow("fd00::1234:5678:9abc:def0", "phone", DisplayName = "an IPv6 privacy address keeps the phone's identity via its MAC")]
    [DataRow("192.168.1.65", "kids", DisplayName = "narrowest range")]
    [DataRow("192.168.1.5", "lan", DisplayName = "wider range")]
    [DataRow("fd00::99", "lan", DisplayName = "IPv6 range")]
    [DataRow("10.0.0.1", null, DisplayName = "no device")]
    [DataRow("::ffff:192.168.1.70", "tv", DisplayName = "IPv4-mapped IPv6 is the IPv4 address")]
    public void MostSpecificMatchWins(string client, string? expected)
    {
        var neighbours = new FakeNeighbours(new()
        {
            ["192.168.1.70"] = "aa:bb:cc:dd:ee:ff",
            ["192.168.1.71"] = "aa:bb:cc:dd:ee:ff",
            ["fd00::1234:5678:9abc:def0"] = "aa:bb:cc:dd:ee:ff",
            ["192.168.1.65"] = "02:00:00:00:00:01",
        });

        ConfiguredDevice? device = Table().Resolve(ClientIdentity.FromAddress(ClientAddress.FromIPAddress(IPAddress.Parse(client), 5353)), neighbours);

        Assert.AreEqual(expected, device?.Name);
    }

    [TestMethod]
    public void DevicesCarryTheirPolicy_AndDefaultWhenNoneNamed()
    {
        DeviceTable table = Table();

        Assert.AreSame(Observe, table.Find("PHONE")!.Policy);
        Assert.AreSame(Strict, table.Find("lan")!.Policy);
        Assert.IsNull(table.Find("laptop"));
    }

    private static IpNetwork Network(string text) => IpNetwork.TryParse(text, out IpNetwork n) ? n : throw new ArgumentException(text);

    private static MacAddress Mac(string text) => MacAddress.TryParse(text, out MacAddress m) ? m : throw new ArgumentException(text);

    private static ClientAddress Address(string text) => ClientAddress.FromIPAddress(IPAddress.Parse(text));
}

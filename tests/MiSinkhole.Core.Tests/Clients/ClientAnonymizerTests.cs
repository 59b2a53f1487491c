using System.Net;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Clients;

/// <summary>The tokens of anonymised clients: stable per key, not the address, one per client (IPv4-mapped is IPv4), and the key file made owner-only.</summary>
[TestClass]
public sealed class ClientAnonymizerTests
{
    private static ClientAddress Address(string text, ushort port = 0) => ClientAddress.FromIPAddress(IPAddress.Parse(text), port);

    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Tokens_AreStablePerKey_OnePerClient_AndTheKeyFileIsOwnerOnly()
    {
        using var dir = new TempDirectory();
        string key = Path.Combine(dir.Path, "querylog.db.key");
        var first = new ClientAnonymizer(true, key);
        string token = first.Show(Address("192.168.1.23", 5353));
        var again = new ClientAnonymizer(true, key);
        using var otherDir = new TempDirectory();
        var otherKey = new ClientAnonymizer(true, Path.Combine(otherDir.Path, "querylog.db.key"));

        StringAssert.Matches(token, new System.Text.RegularExpressions.Regex("^anon-[0-9a-f]{16}$"));
        Assert.AreEqual(token, again.Show(Address("::ffff:192.168.1.23")), "the same key, the same client (port and IPv4 mapping aside): the same token");
        Assert.AreEqual(token, again.Show("192.168.1.23"), "an address given as text, as an API filter gives it");
        Assert.AreNotEqual(token, first.Show(Address("192.168.1.24")));
        Assert.AreNotEqual(token, otherKey.Show(Address("192.168.1.23")), "without the key, the token says nothing");
        Assert.AreNotEqual(token, first.Show(new MacAddress(0xC0FFEE000023)));
        StringAssert.StartsWith(first.Show(new MacAddress(0xC0FFEE000023)), "anon-");
        Assert.AreEqual("phone", first.Show("phone"), "a device name stays a name");
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.AreEqual("192.168.1.23", ClientAnonymizer.Off.Show(Address("192.168.1.23", 5353)));
    }
}

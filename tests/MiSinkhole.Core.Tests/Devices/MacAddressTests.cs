using MiSinkhole.Core.Devices;

namespace MiSinkhole.Core.Tests.Devices;

[TestClass]
public sealed class MacAddressTests
{
    [TestMethod]
    [DataRow("aa:bb:cc:dd:ee:ff")]
    [DataRow("AA-BB-CC-DD-EE-FF")]
    [DataRow("aabb.ccdd.eeff")]
    [DataRow("aabbccddeeff")]
    [DataRow(" Aa:bB:cc:DD:ee:ff ")]
    public void Parses_CommonSpellings(string text)
    {
        Assert.IsTrue(MacAddress.TryParse(text, out MacAddress mac));
        Assert.AreEqual(0xAABBCCDDEEFFUL, mac.Value);
        Assert.AreEqual("aa:bb:cc:dd:ee:ff", mac.ToString());
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("aa:bb:cc:dd:ee")]
    [DataRow("aa:bb:cc:dd:ee:ff:00")]
    [DataRow("aa:bb:cc:dd:ee:fg")]
    [DataRow("aab:bcc:dde:eff")]
    [DataRow("aa:bb-cc:dd:ee:ff")]
    [DataRow("192.168.1.1")]
    [DataRow("fd00::1")]
    public void Rejects_WhatIsNoMac(string text) => Assert.IsFalse(MacAddress.TryParse(text, out _));

    [TestMethod]
    public void FromBytes_ReadsSixBytes() =>
        Assert.AreEqual("02:fc:00:00:00:05", MacAddress.FromBytes([0x02, 0xfc, 0, 0, 0, 5, 0xff]).ToString());
}

using System.Buffers.Binary;
using System.Text;
using MiSinkhole.TestKit;

namespace MiSinkhole.Dns.Tests;

/// <summary>The EDNS options by which a forwarding router names its client, as the query parser reads them.</summary>
[TestClass]
public sealed class EdnsClientOptionsTests
{
    private static (DnsParseResult Result, DnsQuery Query) Parse(params byte[][] options)
    {
        byte[] name = new byte[256];
        DnsParseResult result = DnsQueryParser.Parse(RawMessage.Query("phone.example", 1, edns: true, ednsOptions: [.. options.SelectMany(o => o)]), name, out DnsQuery query);
        return (result, query);
    }

    [TestMethod]
    public void Ecs_WholeIPv4Address_IsReadAsFamilySourceAndAddress()
    {
        (DnsParseResult result, DnsQuery query) = Parse(RawMessage.EdnsOption(8, [0, 1, 32, 0, 192, 168, 1, 23]));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.AreEqual(1, query.EcsFamily);
        Assert.AreEqual(32, query.EcsSourcePrefix);
        Assert.AreEqual((UInt128)0xC0A80117, query.EcsAddress);
        Assert.IsTrue(query.HasClientOptions);
        Assert.AreEqual(0UL, query.EdnsMac);
    }

    [TestMethod]
    public void Ecs_WholeIPv6Address_IsRead()
    {
        byte[] address = System.Net.IPAddress.Parse("fd00::1:50").GetAddressBytes();
        (DnsParseResult result, DnsQuery query) = Parse(RawMessage.EdnsOption(8, [0, 2, 128, 0, .. address]));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.AreEqual(2, query.EcsFamily);
        Assert.AreEqual(128, query.EcsSourcePrefix);
        Assert.AreEqual(BinaryPrimitives.ReadUInt128BigEndian(address), query.EcsAddress);
    }

    [TestMethod]
    public void Ecs_Subnet_IsReadWithItsPrefix()
    {
        (DnsParseResult result, DnsQuery query) = Parse(RawMessage.EdnsOption(8, [0, 1, 24, 0, 10, 1, 2]));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.AreEqual(24, query.EcsSourcePrefix);
        Assert.AreEqual((UInt128)0x0A010200, query.EcsAddress);
    }

    [TestMethod]
    [DataRow(new byte[] { 0, 1, 32 }, DisplayName = "shorter than family, source and scope")]
    [DataRow(new byte[] { 0, 1, 24, 0, 10, 1, 2, 3 }, DisplayName = "more address bytes than the prefix needs")]
    [DataRow(new byte[] { 0, 1, 32, 0, 10, 1, 2 }, DisplayName = "fewer address bytes than the prefix needs")]
    [DataRow(new byte[] { 0, 1, 20, 0, 10, 1, 0x2F }, DisplayName = "bits set past the source prefix")]
    [DataRow(new byte[] { 0, 1, 33, 0, 10, 1, 2, 3, 4 }, DisplayName = "an IPv4 prefix past 32")]
    [DataRow(new byte[] { 0, 3, 8, 0, 10 }, DisplayName = "an unknown family")]
    public void Ecs_Malformed_IsAFormatError(byte[] data)
    {
        (DnsParseResult result, _) = Parse(RawMessage.EdnsOption(8, data));

        Assert.AreEqual(DnsParseResult.FormatError, result, "RFC 7871 §7.1.1");
    }

    [TestMethod]
    public void Ecs_FamilyZeroWithNoAddress_IsNoClient()
    {
        (DnsParseResult result, DnsQuery query) = Parse(RawMessage.EdnsOption(8, [0, 0, 0, 0]));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.IsFalse(query.HasClientOptions);
    }

    [TestMethod]
    public void AddMac_RawSixBytes_IsTheMac()
    {
        (DnsParseResult result, DnsQuery query) = Parse(RawMessage.EdnsOption(65001, [0x3c, 0x22, 0xfb, 0x12, 0x34, 0x56]));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.AreEqual(0x3c22fb123456UL, query.EdnsMac);
        Assert.IsTrue(query.HasClientOptions);
    }

    [TestMethod]
    [DataRow("3c:22:fb:12:34:56", DisplayName = "add-mac=text")]
    [DataRow("3C-22-FB-12-34-56", DisplayName = "text with dashes, upper case")]
    [DataRow("PCL7EjRW", DisplayName = "add-mac=base64")]
    public void AddMacTextOrBase64_IsTheMac(string text)
    {
        (DnsParseResult result, DnsQuery query) = Parse(RawMessage.EdnsOption(65073, Encoding.ASCII.GetBytes(text)));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.AreEqual(0x3c22fb123456UL, query.EdnsMac);
    }

    [TestMethod]
    public void Base64Form_IsWhatStandardBase64OfTheMacGives()
    {
        Assert.AreEqual("PCL7EjRW", Convert.ToBase64String([0x3c, 0x22, 0xfb, 0x12, 0x34, 0x56]), "the test's vector");
    }

    [TestMethod]
    [DataRow(65001, "01020304", DisplayName = "raw MAC of 4 bytes")]
    [DataRow(65073, "zz:22:fb:12:34:56", DisplayName = "text that is not hex")]
    [DataRow(65073, "3c:22:fb:12:34", DisplayName = "text too short")]
    [DataRow(65073, "PCL7EjR!", DisplayName = "base64 that is not")]
    [DataRow(65073, "00:00:00:00:00:00", DisplayName = "the zero MAC")]
    public void MacOptions_InAnotherShape_AreIgnored_NotAnError(int code, string text)
    {
        byte[] data = code == 65001 ? Convert.FromHexString(text) : Encoding.ASCII.GetBytes(text);
        (DnsParseResult result, DnsQuery query) = Parse(RawMessage.EdnsOption((ushort)code, data));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.AreEqual(0UL, query.EdnsMac);
        Assert.IsFalse(query.HasClientOptions);
    }

    [TestMethod]
    public void MacAndEcs_Together_AreBothRead()
    {
        (DnsParseResult result, DnsQuery query) = Parse(RawMessage.EdnsOption(65001, [0x3c, 0x22, 0xfb, 0x12, 0x34, 0x56]), RawMessage.EdnsOption(8, [0, 1, 32, 0, 192, 168, 1, 23]));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.AreEqual(0x3c22fb123456UL, query.EdnsMac);
        Assert.AreEqual((UInt128)0xC0A80117, query.EcsAddress);
    }

    [TestMethod]
    public void NoOptions_NoClient()
    {
        (DnsParseResult result, DnsQuery query) = Parse();

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.IsFalse(query.HasClientOptions);
        Assert.AreEqual(0, query.EcsFamily);
    }
}

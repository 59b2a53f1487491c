using System.Buffers.Binary;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Tests.Stages.Forward;

[TestClass]
public sealed class UpstreamQueryTests
{
    [TestMethod]
    [DataRow("a.example")]
    [DataRow("data.mistat.xiaomi.com")]
    [DataRow("a-much-longer-name-that-is-still-within-one-block.tracking.intl.miui.com")]
    [DataRow("x.y")]
    public void EncryptedQueries_ArePaddedToA128ByteBlock_WithOnePaddingOption(string name)
    {
        byte[] wire = DnsName.FromText(name);

        byte[] plain = UpstreamQuery.Build(7, wire, 1, 1, dnssecOk: true, checkingDisabled: false);
        byte[] padded = UpstreamQuery.Build(7, wire, 1, 1, dnssecOk: true, checkingDisabled: false, UpstreamQuery.EncryptedPadBlock);

        Assert.AreEqual(0, padded.Length % 128, $"{padded.Length} bytes");
        Assert.IsGreaterThanOrEqualTo(plain.Length + 4, padded.Length);
        CollectionAssert.AreEqual(plain[..^2], padded[..(plain.Length - 2)], "the same message up to the OPT's RDLENGTH");
        Assert.AreEqual(0, BinaryPrimitives.ReadUInt16BigEndian(plain.AsSpan(plain.Length - 2)), "plain DNS: no options");
        int rdLength = BinaryPrimitives.ReadUInt16BigEndian(padded.AsSpan(plain.Length - 2));
        Assert.AreEqual(padded.Length - plain.Length, rdLength, "the option fills the OPT's data to the end of the message");
        Assert.AreEqual(12, BinaryPrimitives.ReadUInt16BigEndian(padded.AsSpan(plain.Length)), "option code 12: Padding (RFC 7830)");
        Assert.AreEqual(rdLength - 4, BinaryPrimitives.ReadUInt16BigEndian(padded.AsSpan(plain.Length + 2)));
        Assert.IsTrue(padded.AsSpan(plain.Length + 4).IndexOfAnyExcept((byte)0) < 0, "padding octets are zero");
    }
}

using MiSinkhole.Core.Stages.Forward.Http2;

namespace MiSinkhole.Core.Tests.Stages.Forward.Http2;

/// <summary>
/// The HPACK decoder of a DoH connection: RFC 7541's response examples (C.6, Huffman, a 256-byte
/// table with evictions) decoded in order, what is picked out of a block, and blocks it must refuse.
/// </summary>
[TestClass]
public sealed class HpackDecoderTests
{
    // RFC 7541 C.6.1–C.6.3, the first preceded by a table size update to the 256 bytes the examples use.
    private const string First = "3fe101" + "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3";
    private const string Second = "4883640effc1c0bf";
    private const string Third = "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007";

    [TestMethod]
    public void Rfc7541ResponseExamples_DecodeInOrder_KeepingTheTableInStep()
    {
        var decoder = new HpackDecoder();

        Assert.IsTrue(decoder.TryDecode(Convert.FromHexString(First), out Http2ResponseHead first));
        Assert.AreEqual(302, first.Status);
        Assert.AreEqual(4, decoder.DynamicCount);

        Assert.IsTrue(decoder.TryDecode(Convert.FromHexString(Second), out Http2ResponseHead second));
        Assert.AreEqual(307, second.Status, "a literal with Huffman, then three indexes into the dynamic table");
        Assert.AreEqual(4, decoder.DynamicCount, ":status 302 was evicted for :status 307");

        Assert.IsTrue(decoder.TryDecode(Convert.FromHexString(Third), out Http2ResponseHead third));
        Assert.AreEqual(200, third.Status);
        Assert.AreEqual(3, decoder.DynamicCount, "the long set-cookie evicted all but two older entries");
        Assert.IsFalse(third.IsDnsMessage);
        Assert.AreEqual(-1, third.ContentLength);
    }

    [TestMethod]
    public void DohHead_IsPickedOut_FromPlainAndHuffmanLiterals()
    {
        var decoder = new HpackDecoder();
        // :status 200 (index 8); content-type (index 31) literal with indexing; content-length (index 28) without.
        byte[] block = [0x88, 0x40 | 31, .. Literal("application/dns-message"), 0x0F, 13, .. Literal("73")];

        Assert.IsTrue(decoder.TryDecode(block, out Http2ResponseHead head));
        Assert.AreEqual(200, head.Status);
        Assert.IsTrue(head.IsDnsMessage);
        Assert.AreEqual(73, head.ContentLength);

        // The second time the content type comes from the dynamic table (index 62).
        Assert.IsTrue(decoder.TryDecode([0x88, 0x80 | 62], out Http2ResponseHead again));
        Assert.IsTrue(again.IsDnsMessage);
        Assert.AreEqual(-1, again.ContentLength);
    }

    [TestMethod]
    public void TableSizeUpdate_ToTheLimit_IsAccepted()
    {
        Assert.IsTrue(new HpackDecoder().TryDecode(Convert.FromHexString("3fe11f88"), out Http2ResponseHead head), "4,096, the size we announce");
        Assert.AreEqual(200, head.Status);
    }

    [TestMethod]
    [DataRow("be", "index 62 with an empty dynamic table")]
    [DataRow("80", "index 0")]
    [DataRow("410f7777772e6578616d706c652e", "a string longer than the block")]
    [DataRow("3fe21f", "a table size past what we allow (4,097 > 4,096)")]
    [DataRow("883fe101", "a table size update after a field")]
    [DataRow("418106", "bad Huffman padding")]
    [DataRow("ff", "an integer cut off")]
    public void BadBlock_IsACompressionError(string hex, string why)
    {
        Assert.IsFalse(new HpackDecoder().TryDecode(Convert.FromHexString(hex), out _), why);
    }

    private static byte[] Literal(string value) => [(byte)value.Length, .. System.Text.Encoding.ASCII.GetBytes(value)];
}

using MiSinkhole.Core.Stages.Forward.Http2;

namespace MiSinkhole.Core.Tests.Stages.Forward.Http2;

/// <summary>HPACK's Huffman decoding against the examples of RFC 7541 Appendix C, and what it must refuse.</summary>
[TestClass]
public sealed class HpackHuffmanTests
{
    [TestMethod]
    [DataRow("f1e3c2e5f23a6ba0ab90f4ff", "www.example.com")]
    [DataRow("a8eb10649cbf", "no-cache")]
    [DataRow("25a849e95ba97d7f", "custom-key")]
    [DataRow("25a849e95bb8e8b4bf", "custom-value")]
    [DataRow("6402", "302")]
    [DataRow("aec3771a4b", "private")]
    [DataRow("d07abe941054d444a8200595040b8166e082a62d1bff", "Mon, 21 Oct 2013 20:13:21 GMT")]
    [DataRow("9d29ad171863c78f0b97c8e9ae82ae43d3", "https://www.example.com")]
    [DataRow("", "")]
    public void Rfc7541Examples_Decode(string hex, string text)
    {
        byte[] encoded = Convert.FromHexString(hex);
        byte[] decoded = new byte[HpackHuffman.MaxDecodedLength(encoded.Length)];

        int written = HpackHuffman.Decode(encoded, decoded);

        Assert.AreEqual(text, System.Text.Encoding.ASCII.GetString(decoded, 0, written));
    }

    [TestMethod]
    [DataRow("fffffffc", "EOS (30 ones) inside the string")]
    [DataRow("f1e3c2e5f23a6ba0ab90f4ffff", "padding of more than 7 bits")]
    [DataRow("06", "padding that is not all ones ('0', then 110)")]
    public void InvalidEncoding_IsRefused(string hex, string why)
    {
        byte[] encoded = Convert.FromHexString(hex);

        Assert.AreEqual(-1, HpackHuffman.Decode(encoded, new byte[HpackHuffman.MaxDecodedLength(encoded.Length)]), why);
    }

    /// <summary>Every symbol's code, rebuilt the canonical way from RFC 7541's code lengths, decodes back to the symbol: spot checks of codes the RFC lists.</summary>
    [TestMethod]
    [DataRow("0", 0b00000, 5)]
    [DataRow("a", 0b00011, 5)]
    [DataRow(" ", 0b010100, 6)]
    [DataRow("x", 0b1111001, 7)]
    [DataRow("&", 0b11111000, 8)]
    public void ShortCodes_FromTheRfcTable_Decode(string symbol, int code, int bits)
    {
        // The code, then ones to the byte boundary (the EOS prefix as padding).
        int padded = (code << (8 - bits)) | ((1 << (8 - bits)) - 1);
        byte[] decoded = new byte[4];

        int written = HpackHuffman.Decode([(byte)padded], decoded);

        Assert.AreEqual(1, written);
        Assert.AreEqual(symbol, ((char)decoded[0]).ToString());
    }
}

namespace MiSinkhole.Dns.Tests;

[TestClass]
public sealed class DnsNameTests
{
    [TestMethod]
    public void TryRead_FollowsBackwardPointers_AndLowercases()
    {
        // offset 0: 3 ABC 0 ; offset 5: 1 X pointer->0
        byte[] message = [3, (byte)'A', (byte)'B', (byte)'C', 0, 1, (byte)'X', 0xC0, 0];
        byte[] name = new byte[255];

        Assert.IsTrue(DnsName.TryRead(message, 5, name, out int next, out int length));
        Assert.AreEqual("x.abc", DnsName.ToText(name.AsSpan(0, length)));
        Assert.AreEqual(9, next, "next is after the pointer, not after the target");
    }

    [TestMethod]
    [DataRow(new byte[] { 0xC0, 0 }, 0, "pointer to itself")]
    [DataRow(new byte[] { 1, 97, 0xC0, 4, 0 }, 0, "forward pointer")]
    [DataRow(new byte[] { 1, 97, 0xC0, 0 }, 2, "loop through a back pointer")]
    [DataRow(new byte[] { 3, 97, 98 }, 0, "label past the end")]
    [DataRow(new byte[] { 0x80, 0 }, 0, "reserved label type")]
    [DataRow(new byte[] { 0xC0 }, 0, "half a pointer")]
    public void TryRead_RejectsMalformedNames(byte[] message, int offset, string what)
    {
        Assert.IsFalse(DnsName.TryRead(message, offset, new byte[255], out _, out _), what);
    }

    [TestMethod]
    public void TryRead_RejectsNamesLongerThan255Bytes_EvenWhenBuiltFromPointers()
    {
        // Each 63-byte label is reached by chaining back pointers: 5 labels = 321 bytes.
        var message = new List<byte>();
        var starts = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            starts.Add(message.Count);
            message.Add(63);
            message.AddRange(Enumerable.Repeat((byte)'a', 63));
            if (i == 0)
            {
                message.Add(0);
            }
            else
            {
                message.Add(0xC0);
                message.Add((byte)starts[i - 1]);
            }
        }

        Assert.IsFalse(DnsName.TryRead([.. message], starts[^1], new byte[255], out _, out _));
        Assert.IsTrue(DnsName.TryRead([.. message], starts[2], new byte[255], out _, out int length));
        Assert.AreEqual(3 * 64 + 1, length);
    }

    [TestMethod]
    public void TryRead_StopsAfter127PointerHops()
    {
        // A chain of 200 two-byte pointers, each to the one before, ending in the root label.
        var message = new List<byte> { 0 };
        for (int i = 0; i < 200; i++)
        {
            int previous = message.Count - (i == 0 ? 1 : 2);
            message.Add((byte)(0xC0 | (previous >> 8)));
            message.Add((byte)previous);
        }

        byte[] bytes = [.. message];
        Assert.IsFalse(DnsName.TryRead(bytes, bytes.Length - 2, new byte[255], out _, out _), "200 hops");
        Assert.IsTrue(DnsName.TryRead(bytes, 1 + (2 * 100), new byte[255], out _, out int length), "101 hops");
        Assert.AreEqual(1, length);
    }

    [TestMethod]
    public void FromText_ToText_RoundTrip()
    {
        byte[] wire = DnsName.FromText("Ads.Example.COM.");

        Assert.AreEqual("ads.example.com", DnsName.ToText(wire));
        Assert.AreEqual(17, wire.Length);
        Assert.IsFalse(DnsName.TryFromText("a..b", new byte[255], out _));
        Assert.IsFalse(DnsName.TryFromText(new string('a', 64) + ".com", new byte[255], out _));
    }
}

using MiSinkhole.TestKit;

namespace MiSinkhole.Dns.Tests;

[TestClass]
public sealed class DnsQueryParserTests
{
    private static (DnsParseResult Result, DnsQuery Query, byte[] Name) Parse(byte[] packet)
    {
        byte[] name = new byte[256];
        DnsParseResult result = DnsQueryParser.Parse(packet, name, out DnsQuery query);
        return (result, query, name[..query.NameLength]);
    }

    [TestMethod]
    public void Parse_PlainQuery_ReadsHeaderQuestionAndLowercasesTheName()
    {
        (DnsParseResult result, DnsQuery query, byte[] name) = Parse(RawMessage.Query("WWW.Example.COM", 28, id: 0xABCD, checkingDisabled: true));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.AreEqual((ushort)0xABCD, query.Id);
        Assert.AreEqual((ushort)28, query.Type);
        Assert.AreEqual((ushort)1, query.Class);
        Assert.IsTrue(query.RecursionDesired);
        Assert.IsTrue(query.CheckingDisabled);
        Assert.IsFalse(query.HasEdns);
        Assert.AreEqual(512, query.MaxUdpResponseSize);
        Assert.AreEqual("www.example.com", DnsName.ToText(name));
        Assert.AreEqual(17 + 4, query.QuestionLength);
    }

    [TestMethod]
    [DataRow((ushort)4096, 4096)]
    [DataRow((ushort)1232, 1232)]
    [DataRow((ushort)100, 512)]
    [DataRow((ushort)0, 512)]
    public void Parse_Edns_PayloadBelow512CountsAs512(ushort advertised, int expected)
    {
        (DnsParseResult result, DnsQuery query, _) = Parse(RawMessage.Query("a.example", 1, edns: true, payload: advertised, dnssecOk: true));

        Assert.AreEqual(DnsParseResult.Ok, result);
        Assert.IsTrue(query.HasEdns);
        Assert.IsTrue(query.DnssecOk);
        Assert.AreEqual(expected, query.MaxUdpResponseSize);
    }

    [TestMethod]
    public void Parse_EdnsVersion1_IsBadVersion()
    {
        Assert.AreEqual(DnsParseResult.BadVersion, Parse(RawMessage.Query("a.example", 1, edns: true, ednsVersion: 1)).Result);
    }

    [TestMethod]
    public void Parse_ShortPacketOrResponse_IsDropped()
    {
        Assert.AreEqual(DnsParseResult.Drop, Parse([1, 2, 3]).Result);
        Assert.AreEqual(DnsParseResult.Drop, Parse(RawMessage.Query("a.example", 1, flags: 0x8100)).Result);
    }

    [TestMethod]
    public void Parse_OptNotOwnedByRoot_IsFormatError()
    {
        byte[] packet = RawMessage.Header(1, 0x0100).Question("a.example", 1).Record("x.example", 41, 0, [], 3).ToArray();

        Assert.AreEqual(DnsParseResult.FormatError, Parse(packet).Result);
    }

    [TestMethod]
    public void Parse_AdditionalRecordWithValidBackPointer_IsAccepted()
    {
        // A (legal, if odd) additional record whose owner points at the question name.
        byte[] packet = RawMessage.Header(1, 0x0100).Question("a.example", 1).Record(null, 16, 0, [1, 65], 3).ToArray();

        Assert.AreEqual(DnsParseResult.Ok, Parse(packet).Result);
    }

    [TestMethod]
    public void Parse_QueryWithAnswerOrAuthorityRecords_OrManyAdditionals_IsFormatError()
    {
        byte[] withAnswer = RawMessage.Header(1, 0x0100).Question("a.example", 1).A(null, 60, "192.0.2.1").ToArray();
        byte[] withAuthority = RawMessage.Header(1, 0x0100).Question("a.example", 1).Soa(null, 60, 60).ToArray();
        RawMessage many = RawMessage.Header(1, 0x0100).Question("a.example", 1);
        for (int i = 0; i < 5; i++)
        {
            many.Record(null, 16, 0, [1, 65], 3);
        }

        Assert.AreEqual(DnsParseResult.FormatError, Parse(withAnswer).Result);
        Assert.AreEqual(DnsParseResult.FormatError, Parse(withAuthority).Result);
        Assert.AreEqual(DnsParseResult.FormatError, Parse(many.ToArray()).Result);
    }

    [TestMethod]
    public void Parse_RandomBytes_NeverThrows()
    {
        var random = new Random(7);
        byte[] valid = RawMessage.Query("fuzz.example", 1, edns: true);
        byte[] name = new byte[256];
        for (int i = 0; i < 200_000; i++)
        {
            byte[] packet = i % 2 == 0 ? new byte[random.Next(0, 64)] : (byte[])valid.Clone();
            if (i % 2 == 0)
            {
                random.NextBytes(packet);
            }
            else
            {
                packet[random.Next(packet.Length)] = (byte)random.Next(256);
                packet[random.Next(packet.Length)] = (byte)random.Next(256);
            }

            DnsParseResult result = DnsQueryParser.Parse(packet, name, out DnsQuery query);
            Assert.IsTrue(Enum.IsDefined(result));
            if (result == DnsParseResult.Ok)
            {
                Assert.IsLessThanOrEqualTo(packet.Length, 12 + query.QuestionLength);
                Assert.IsLessThanOrEqualTo(255, query.NameLength);
            }
        }
    }
}

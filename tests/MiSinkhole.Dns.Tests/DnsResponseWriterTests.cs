using System.Net;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Dns.Tests;

/// <summary>Answers we write, decoded by ARSoft.Tools.Net.</summary>
[TestClass]
public sealed class DnsResponseWriterTests
{
    private static (byte[] Bytes, DnsMessage Message) Blocked(byte[] request, BlockResponseMode mode, uint ttl = 60, string list = "xiaomi-telemetry")
    {
        byte[] name = new byte[256];
        Assert.AreEqual(DnsParseResult.Ok, DnsQueryParser.Parse(request, name, out DnsQuery query));
        byte[] buffer = new byte[DnsResponseWriter.MaxLocalAnswerSize];
        int length = DnsResponseWriter.WriteBlocked(buffer, request, query, mode, ttl, System.Text.Encoding.UTF8.GetBytes(list));
        byte[] bytes = buffer[..length];
        return (bytes, DnsMessage.Parse(new ArraySegment<byte>(bytes)));
    }

    [TestMethod]
    public void NullIp_A_IsZeroAddress_WithTtl_AndNoOptWithoutEdns()
    {
        (_, DnsMessage m) = Blocked(RawMessage.Query("Data.Mistat.Xiaomi.com", 1, id: 42), BlockResponseMode.NullIp, ttl: 77);

        Assert.AreEqual((ushort)42, m.TransactionID);
        Assert.IsFalse(m.IsQuery);
        Assert.AreEqual(ReturnCode.NoError, m.ReturnCode);
        Assert.IsTrue(m.IsRecursionAllowed);
        ARecord a = (ARecord)m.AnswerRecords.Single();
        Assert.AreEqual(IPAddress.Any, a.Address);
        Assert.AreEqual(77, a.TimeToLive);
        Assert.AreEqual("Data.Mistat.Xiaomi.com", a.Name.ToString(false));
        Assert.IsFalse(m.IsEDnsEnabled);
    }

    [TestMethod]
    public void NullIp_Aaaa_IsUnspecifiedAddress()
    {
        (_, DnsMessage m) = Blocked(RawMessage.Query("a.example", 28), BlockResponseMode.NullIp);

        Assert.AreEqual(IPAddress.IPv6Any, ((AaaaRecord)m.AnswerRecords.Single()).Address);
    }

    [TestMethod]
    [DataRow(BlockResponseMode.NullIp, (ushort)16, ReturnCode.NoError)]
    [DataRow(BlockResponseMode.NoData, (ushort)1, ReturnCode.NoError)]
    [DataRow(BlockResponseMode.NxDomain, (ushort)1, ReturnCode.NxDomain)]
    [DataRow(BlockResponseMode.NxDomain, (ushort)65, ReturnCode.NxDomain)]
    public void NegativeBlocks_CarryAnSoaWhoseMinimumIsTheBlockTtl(BlockResponseMode mode, ushort type, ReturnCode rcode)
    {
        (_, DnsMessage m) = Blocked(RawMessage.Query("t.example", type), mode, ttl: 120);

        Assert.AreEqual(rcode, m.ReturnCode);
        Assert.IsEmpty(m.AnswerRecords);
        SoaRecord soa = (SoaRecord)m.AuthorityRecords.Single();
        Assert.AreEqual(120, soa.TimeToLive);
        Assert.AreEqual(120, soa.NegativeCachingTTL);
        Assert.AreEqual("misinkhole.invalid", soa.MasterName.ToString(false));
    }

    [TestMethod]
    public void CustomAddresses_AnswerEachFamilyWithItsAddresses_OrNodata()
    {
        byte[] v4 = [192, 168, 1, 10, 192, 168, 1, 11];
        byte[] name = new byte[256];
        byte[] buffer = new byte[DnsResponseWriter.MaxLocalAnswerSize];
        byte[] a = RawMessage.Query("t.example", 1);
        byte[] aaaa = RawMessage.Query("t.example", 28);
        DnsQueryParser.Parse(a, name, out DnsQuery aQuery);
        DnsQueryParser.Parse(aaaa, name, out DnsQuery aaaaQuery);

        int aLength = DnsResponseWriter.WriteBlocked(buffer, a, aQuery, BlockResponseMode.CustomAddresses, 30, "x"u8, v4, default);
        DnsMessage aAnswer = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, aLength));
        int aaaaLength = DnsResponseWriter.WriteBlocked(buffer, aaaa, aaaaQuery, BlockResponseMode.CustomAddresses, 30, "x"u8, v4, default);
        DnsMessage aaaaAnswer = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, aaaaLength));

        CollectionAssert.AreEqual(new[] { "192.168.1.10", "192.168.1.11" }, aAnswer.AnswerRecords.Select(r => ((ARecord)r).Address.ToString()).ToArray());
        Assert.IsEmpty(aaaaAnswer.AnswerRecords);
        Assert.IsInstanceOfType<SoaRecord>(aaaaAnswer.AuthorityRecords.Single());
    }

    [TestMethod]
    public void Refused_HasNoRecords()
    {
        (_, DnsMessage m) = Blocked(RawMessage.Query("t.example", 1), BlockResponseMode.Refused);

        Assert.AreEqual(ReturnCode.Refused, m.ReturnCode);
        Assert.IsEmpty(m.AnswerRecords);
        Assert.IsEmpty(m.AuthorityRecords);
    }

    [TestMethod]
    public void WithEdns_OptCarriesOurSizeDoAndAnExtendedErrorBlockedWithTheListName()
    {
        (byte[] bytes, DnsMessage m) = Blocked(RawMessage.Query("t.example", 1, edns: true, payload: 4096, dnssecOk: true), BlockResponseMode.NullIp, list: "ads");

        Assert.IsTrue(m.IsEDnsEnabled);
        Assert.AreEqual((ushort)1232, m.EDnsOptions!.UdpPayloadSize);
        Assert.IsTrue(m.IsDnsSecOk);
        EDnsOptionBase option = m.EDnsOptions.Options.Single();
        Assert.AreEqual(15, (int)option.Type);
        // The option is last: code 15, length 5, info code 15 (Blocked), "ads".
        CollectionAssert.AreEqual(new byte[] { 0, 15, 0, 5, 0, 15, (byte)'a', (byte)'d', (byte)'s' }, bytes[^9..]);
    }

    [TestMethod]
    public void Errors_EchoQuestion_AndBadversUsesTheExtendedRcode()
    {
        byte[] request = RawMessage.Query("t.example", 1, id: 5, edns: true, ednsVersion: 3);
        byte[] name = new byte[256];
        DnsQueryParser.Parse(request, name, out DnsQuery query);
        byte[] buffer = new byte[512];

        int length = DnsResponseWriter.WriteError(buffer, request, query, DnsResponseCode.BadVers);
        DnsMessage m = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, length));

        Assert.AreEqual(ReturnCode.BadVersion, m.ReturnCode);
        Assert.AreEqual("t.example", m.Questions.Single().Name.ToString(false));
        Assert.AreEqual((byte)0, m.EDnsOptions!.Version);
    }

    [TestMethod]
    public void Truncate_KeepsHeaderQuestionAndRcode_SetsTc()
    {
        byte[] request = RawMessage.Query("big.example", 16, edns: true);
        byte[] upstream = RawMessage.ResponseTo(request, rcode: 0).Txt(null, 60, "x").Txt(null, 60, "y").ToArray();
        byte[] name = new byte[256];
        DnsQueryParser.Parse(request, name, out DnsQuery query);
        byte[] buffer = new byte[1024];
        upstream.CopyTo(buffer, 0);

        int length = DnsResponseWriter.Truncate(buffer, query);
        DnsMessage m = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, length));

        Assert.IsTrue(m.IsTruncated);
        Assert.IsEmpty(m.AnswerRecords);
        Assert.AreEqual("big.example", m.Questions.Single().Name.ToString(false));
        Assert.IsTrue(m.IsEDnsEnabled);
    }

    [TestMethod]
    [DataRow(1, DisplayName = "IQUERY")]
    [DataRow(2, DisplayName = "STATUS")]
    [DataRow(4, DisplayName = "NOTIFY")]
    [DataRow(5, DisplayName = "UPDATE")]
    public void AnswerToAnotherOpcode_CarriesNoRaAdOrCd_WhileAStandardQueryKeepsThem(int opcode)
    {
        // CD and AD set in the query: they are defined for QUERY only, so only its answer may carry them.
        byte[] request = RawMessage.Query("zone.example", 6, flags: (ushort)((opcode << 11) | 0x0100 | 0x0020 | 0x0010));
        byte[] standard = RawMessage.Query("zone.example", 6, flags: 0x0100 | 0x0020 | 0x0010);
        byte[] name = new byte[256];
        byte[] buffer = new byte[512];

        DnsQueryParser.Parse(request, name, out DnsQuery query);
        DnsMessage notImp = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, DnsResponseWriter.WriteError(buffer, request, query, DnsResponseCode.NotImp)));
        DnsQueryParser.Parse(standard, name, out DnsQuery standardQuery);
        DnsMessage refused = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, DnsResponseWriter.WriteError(buffer, standard, standardQuery, DnsResponseCode.Refused)));

        Assert.AreEqual(ReturnCode.NotImplemented, notImp.ReturnCode);
        Assert.AreEqual((OperationCode)opcode, notImp.OperationCode, "the opcode is echoed");
        Assert.IsFalse(notImp.IsRecursionAllowed, "no RA");
        Assert.IsFalse(notImp.IsAuthenticData, "no AD");
        Assert.IsFalse(notImp.IsCheckingDisabled, "no CD");
        Assert.IsTrue(notImp.IsRecursionDesired, "RD is copied (RFC 1035)");
        Assert.IsTrue(refused.IsRecursionAllowed, "a standard query's answer has RA");
        Assert.IsTrue(refused.IsCheckingDisabled, "and its CD copied");
    }
}

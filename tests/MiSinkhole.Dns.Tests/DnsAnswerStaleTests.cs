using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Dns.Tests;

/// <summary><see cref="DnsAnswer.WriteStaleTo"/>: an expired answer as RFC 8767 serves it.</summary>
[TestClass]
public sealed class DnsAnswerStaleTests
{
    private static readonly byte[] Name = DnsName.FromText("www.example.com");

    private static (byte[] Bytes, DnsMessage Message) WriteStale(byte[] upstream, bool edns)
    {
        DnsAnswer answer = DnsAnswer.TryParse(upstream, Name, 1, 1)!;
        byte[] request = RawMessage.Query("WWW.example.com", 1, id: 77, edns: edns);
        Assert.AreEqual(DnsParseResult.Ok, DnsQueryParser.Parse(request, new byte[256], out DnsQuery query));
        byte[] buffer = new byte[512];
        int length = answer.WriteStaleTo(buffer, request, query, 30);
        Assert.IsGreaterThan(0, length);
        byte[] bytes = buffer[..length];
        return (bytes, DnsMessage.Parse(bytes));
    }

    [TestMethod]
    public void PositiveAnswer_EveryTtlIsTheStaleTtl_WithEde3ForAnEdnsClient()
    {
        byte[] upstream = RawMessage.ResponseTo(RawMessage.Query("www.example.com", 1))
            .Cname(null, 600, "edge.example.net").A("edge.example.net", 5, "192.0.2.5").ToArray();

        (byte[] bytes, DnsMessage m) = WriteStale(upstream, edns: true);

        Assert.AreEqual((ushort)77, m.TransactionID);
        CollectionAssert.AreEqual(new[] { 30, 30 }, m.AnswerRecords.Select(r => r.TimeToLive).ToArray(), "stale TTL, not the stored 600 and 5");
        Assert.AreEqual(15, (int)m.EDnsOptions!.Options.Single().Type);
        CollectionAssert.AreEqual(new byte[] { 0, 15, 0, 2, 0, 3 }, bytes[^6..], "Extended DNS Error 3 (Stale Answer), no text");
    }

    [TestMethod]
    public void NegativeAnswers_NodataGetsEde3_NxdomainEde19_TheSoaTtlIsTheStaleTtl()
    {
        byte[] query = RawMessage.Query("www.example.com", 1);
        (byte[] nodataBytes, DnsMessage nodata) = WriteStale(RawMessage.ResponseTo(query).Soa("example.com", 900, 600).ToArray(), edns: true);
        (byte[] nxBytes, DnsMessage nx) = WriteStale(RawMessage.ResponseTo(query, rcode: 3).Soa("example.com", 900, 600).ToArray(), edns: true);

        Assert.AreEqual(30, nodata.AuthorityRecords.Single().TimeToLive);
        CollectionAssert.AreEqual(new byte[] { 0, 15, 0, 2, 0, 3 }, nodataBytes[^6..]);
        Assert.AreEqual(ReturnCode.NxDomain, nx.ReturnCode);
        Assert.AreEqual(30, nx.AuthorityRecords.Single().TimeToLive);
        CollectionAssert.AreEqual(new byte[] { 0, 15, 0, 2, 0, 19 }, nxBytes[^6..], "RFC 8914: 19, Stale NXDOMAIN Answer");
    }

    [TestMethod]
    public void WithoutEdns_NoOpt_ButStillTheStaleTtl()
    {
        byte[] upstream = RawMessage.ResponseTo(RawMessage.Query("www.example.com", 1)).A(null, 300, "192.0.2.1").ToArray();

        (_, DnsMessage m) = WriteStale(upstream, edns: false);

        Assert.IsFalse(m.IsEDnsEnabled);
        Assert.AreEqual(30, m.AnswerRecords.Single().TimeToLive);
    }
}

using System.Buffers.Binary;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Dns.Tests;

[TestClass]
public sealed class DnsAnswerTests
{
    private static readonly byte[] Name = DnsName.FromText("www.example.com");

    private static DnsQuery ParseQuery(byte[] request)
    {
        Assert.AreEqual(DnsParseResult.Ok, DnsQueryParser.Parse(request, new byte[256], out DnsQuery query));
        return query;
    }

    [TestMethod]
    public void TryParse_StripsOpt_RecordsTtls_AndCnameTargets()
    {
        byte[] request = RawMessage.Query("www.example.com", 1, edns: true);
        byte[] response = RawMessage.ResponseTo(request)
            .Cname(null, 600, "edge.CDN.example.net")
            .A("edge.cdn.example.net", 30, "192.0.2.5")
            .Opt(4096)
            .ToArray();

        DnsAnswer? answer = DnsAnswer.TryParse(response, Name, 1, 1);

        Assert.IsNotNull(answer);
        Assert.AreEqual(0, DnsHeader.ReadCount(answer.Message, DnsSection.Additional));
        Assert.AreEqual(response.Length - 11, answer.Message.Length);
        CollectionAssert.AreEqual(new uint[] { 600, 30 }, answer.Ttls);
        Assert.AreEqual("edge.cdn.example.net", DnsName.ToText(answer.CnameTargets.Single()));
        Assert.AreEqual(30u, answer.CacheTtl);
        Assert.IsFalse(answer.IsNegative);
    }

    [TestMethod]
    public void TryParse_NegativeTtl_IsMinOfSoaTtlAndMinimum_AndNoneWithoutSoa()
    {
        byte[] request = RawMessage.Query("www.example.com", 1);
        DnsAnswer? nx = DnsAnswer.TryParse(RawMessage.ResponseTo(request, rcode: 3).Soa("example.com", 900, 120).ToArray(), Name, 1, 1);
        DnsAnswer? nodata = DnsAnswer.TryParse(RawMessage.ResponseTo(request).Soa("example.com", 60, 3600).ToArray(), Name, 1, 1);
        DnsAnswer? bare = DnsAnswer.TryParse(RawMessage.ResponseTo(request, rcode: 3).ToArray(), Name, 1, 1);
        DnsAnswer? servfail = DnsAnswer.TryParse(RawMessage.ResponseTo(request, rcode: 2).ToArray(), Name, 1, 1);

        Assert.AreEqual(120u, nx!.CacheTtl);
        Assert.IsTrue(nodata!.IsNegative);
        Assert.AreEqual(60u, nodata.CacheTtl);
        Assert.IsNull(bare!.CacheTtl);
        Assert.IsNull(servfail!.CacheTtl);
    }

    [TestMethod]
    public void TryParse_RejectsOtherQuestionsQueriesAndGarbage()
    {
        byte[] request = RawMessage.Query("www.example.com", 1);

        Assert.IsNull(DnsAnswer.TryParse(RawMessage.ResponseTo(request).ToArray(), Name, 28, 1), "other type");
        Assert.IsNull(DnsAnswer.TryParse(RawMessage.ResponseTo(RawMessage.Query("www.example.org", 1)).ToArray(), Name, 1, 1), "other name");
        Assert.IsNull(DnsAnswer.TryParse(request, Name, 1, 1), "a query, not a response");
        Assert.IsNull(DnsAnswer.TryParse(RawMessage.ResponseTo(request).SetCount(1, 3).ToArray(), Name, 1, 1), "lying count");
        Assert.IsNotNull(DnsAnswer.TryParse(RawMessage.ResponseTo(RawMessage.Query("WWW.Example.com", 1)).ToArray(), Name, 1, 1), "case differs: same name");
    }

    [TestMethod]
    public void WriteTo_PatchesIdAndQuestionCase_CountsTtlsDown_Clamps_AndAddsOptOnlyForEdns()
    {
        byte[] upstreamRequest = RawMessage.Query("www.example.com", 1);
        byte[] response = RawMessage.ResponseTo(upstreamRequest).A(null, 100, "192.0.2.1").A(null, 5000, "192.0.2.2").ToArray();
        DnsAnswer answer = DnsAnswer.TryParse(response, Name, 1, 1)!;
        byte[] client = RawMessage.Query("WwW.ExAmPlE.cOm", 1, id: 0x7777, edns: true);
        byte[] plainClient = RawMessage.Query("www.example.com", 1, id: 0x7778);
        byte[] buffer = new byte[1024];

        int length = answer.WriteTo(buffer, client, ParseQuery(client), elapsedSeconds: 10, minTtl: 0, maxTtl: 3600);
        DnsMessage m = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, length));
        int plainLength = answer.WriteTo(buffer, plainClient, ParseQuery(plainClient), elapsedSeconds: 200, minTtl: 0, maxTtl: 3600);
        DnsMessage plain = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, plainLength));

        Assert.AreEqual((ushort)0x7777, m.TransactionID);
        Assert.AreEqual("WwW.ExAmPlE.cOm", m.Questions.Single().Name.ToString(false));
        CollectionAssert.AreEqual(new[] { 90, 3590 }, m.AnswerRecords.Select(r => r.TimeToLive).ToArray());
        Assert.IsTrue(m.IsEDnsEnabled);
        CollectionAssert.AreEqual(new[] { 0, 3400 }, plain.AnswerRecords.Select(r => r.TimeToLive).ToArray(), "never below zero");
        Assert.IsFalse(plain.IsEDnsEnabled);
        Assert.AreEqual(100u, BinaryPrimitives.ReadUInt32BigEndian(answer.Message.AsSpan(answer.TtlOffsets[0])), "the stored copy is never modified");
    }

    [TestMethod]
    public void WriteTo_ClearsAdUnlessTheClientAskedForDnssec()
    {
        byte[] request = RawMessage.Query("www.example.com", 1);
        byte[] response = RawMessage.ResponseTo(request).A(null, 100, "192.0.2.1").ToArray();
        response[3] |= 0x20; // AD from upstream
        DnsAnswer answer = DnsAnswer.TryParse(response, Name, 1, 1)!;
        byte[] plain = RawMessage.Query("www.example.com", 1);
        byte[] withDo = RawMessage.Query("www.example.com", 1, edns: true, dnssecOk: true);
        byte[] buffer = new byte[512];

        answer.WriteTo(buffer, plain, ParseQuery(plain), 0, 0, 100);
        bool adPlain = (buffer[3] & 0x20) != 0;
        answer.WriteTo(buffer, withDo, ParseQuery(withDo), 0, 0, 100);
        bool adDo = (buffer[3] & 0x20) != 0;

        Assert.IsFalse(adPlain);
        Assert.IsTrue(adDo);
    }

    [TestMethod]
    public void TryParse_KeepsTheExtendedRcodeOfTheUpstreamOpt_AndSuchAnswersAreNotCached()
    {
        byte[] request = RawMessage.Query("www.example.com", 1, edns: true);
        byte[] badCookie = RawMessage.ResponseTo(request, rcode: 7).Opt().ToArray(); // 23 = BADCOOKIE: 1 << 4 | 7
        badCookie[^6] = 1;

        DnsAnswer answer = DnsAnswer.TryParse(badCookie, Name, 1, 1)!;

        Assert.AreEqual(1, answer.ExtendedRcode);
        Assert.IsNull(answer.CacheTtl);
    }

    [TestMethod]
    public void WriteTo_RefusesAnswersThatWouldExceed65535Bytes()
    {
        byte[] request = RawMessage.Query("www.example.com", 16);
        RawMessage response = RawMessage.ResponseTo(request);
        string text = new('x', 200);
        while (response.ToArray().Length < 65300)
        {
            response.Txt(null, 60, text);
        }

        // One more TXT record (13 bytes + text) brings the message to exactly 65530 bytes.
        response.Txt(null, 60, new string('y', 65530 - response.ToArray().Length - 13));
        byte[] big = response.ToArray();
        DnsAnswer answer = DnsAnswer.TryParse(big, Name, 16, 1)!;
        byte[] withEdns = RawMessage.Query("www.example.com", 16, edns: true);
        byte[] buffer = new byte[70000];

        Assert.AreEqual(65530, big.Length);
        Assert.AreEqual(65530, answer.WriteTo(buffer, request, ParseQuery(request), 0, 0, 100));
        Assert.AreEqual(-1, answer.WriteTo(buffer, withEdns, ParseQuery(withEdns), 0, 0, 100), "65530 + our 11-byte OPT does not fit a DNS message");
    }

    [TestMethod]
    public void TryParse_RandomBytes_NeverThrows()
    {
        var random = new Random(11);
        byte[] request = RawMessage.Query("www.example.com", 1);
        byte[] valid = RawMessage.ResponseTo(request).Cname(null, 60, "a.example").A("a.example", 60, "192.0.2.1").Soa("example", 60, 60, 2).Opt().ToArray();
        for (int i = 0; i < 100_000; i++)
        {
            byte[] packet = (byte[])valid.Clone();
            for (int f = 0; f < 1 + (i % 4); f++)
            {
                packet[random.Next(packet.Length)] = (byte)random.Next(256);
            }

            int cut = random.Next(12, packet.Length + 1);
            DnsAnswer? answer = DnsAnswer.TryParse(packet.AsSpan(0, cut), Name, 1, 1);
            if (answer is not null)
            {
                Assert.HasCount(answer.Ttls.Length, answer.TtlOffsets);
                Assert.IsTrue(answer.TtlOffsets.All(o => o + 4 <= answer.Message.Length));
            }
        }
    }
}

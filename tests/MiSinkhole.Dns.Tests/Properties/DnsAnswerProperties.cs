using System.Net;
using ARSoft.Tools.Net.Dns;
using CsCheck;
using MiSinkhole.TestKit;

namespace MiSinkhole.Dns.Tests.Properties;

/// <summary>
/// The upstream-answer parser against generated and mutated answers (CsCheck): a valid answer is
/// accepted with a TTL slot per record, and what it writes back for a client (TTLs counted down,
/// ID and question of the client's query) is decoded by ARSoft.Tools.Net to the same records;
/// mutated answers are accepted or refused, never thrown on, and an accepted one keeps its
/// invariants.
/// </summary>
[TestClass]
public sealed class DnsAnswerProperties
{
    private static readonly Gen<(string Name, uint[] Ttls, bool Cname, bool Opt, ushort Id)> ValidAnswer =
        Gen.Select(DnsGen.Name, Gen.UInt[0, 604_800].Array[1, 8], Gen.Bool, Gen.Bool, Gen.UShort);

    [TestMethod]
    public void ValidAnswers_AreAccepted_AndWrittenBackTheWayAnIndependentDecoderReadsThem()
    {
        ValidAnswer.Sample(a =>
        {
            string name = a.Name.ToLowerInvariant();
            byte[] upstreamQuery = RawMessage.Query(name, 1, id: 7);
            RawMessage message = RawMessage.ResponseTo(upstreamQuery);
            string owner = name;
            if (a.Cname)
            {
                message.Cname(null, a.Ttls[0], "target.example");
                owner = "target.example";
            }

            for (int i = a.Cname ? 1 : 0; i < a.Ttls.Length; i++)
            {
                message.A(owner, a.Ttls[i], $"192.0.2.{i + 1}");
            }

            if (a.Opt)
            {
                message.Opt();
            }

            DnsAnswer? answer = DnsAnswer.TryParse(message.ToArray(), DnsName.FromText(name), 1, 1);
            Assert.IsNotNull(answer, name);
            Assert.HasCount(a.Ttls.Length, answer.Ttls);

            byte[] client = RawMessage.Query(name, 1, id: a.Id);
            DnsQueryParser.Parse(client, new byte[256], out DnsQuery query);
            byte[] buffer = new byte[4096];
            int length = answer.WriteTo(buffer, client, query, 0, 0, uint.MaxValue);
            DnsMessage decoded = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, length));

            Assert.AreEqual(a.Id, decoded.TransactionID);
            Assert.HasCount(a.Ttls.Length, decoded.AnswerRecords);
            CollectionAssert.AreEqual(a.Ttls.Select(t => (int)t).ToArray(), decoded.AnswerRecords.Select(r => r.TimeToLive).ToArray());
            Assert.AreEqual(a.Ttls.Length - (a.Cname ? 1 : 0), decoded.AnswerRecords.OfType<ARecord>().Count(r => r.Address.GetAddressBytes()[0] == 192));
            Assert.IsTrue(decoded.Questions.Single().Name.Equals(ARSoft.Tools.Net.DomainName.Parse(name)));
        }, iter: 5_000);
    }

    [TestMethod]
    public void MutatedAnswers_AreAcceptedOrRefused_NeverThrown()
    {
        byte[] request = RawMessage.Query("www.example.com", 1);
        byte[] valid = RawMessage.ResponseTo(request).Cname(null, 60, "a.example").A("a.example", 60, "192.0.2.1").Soa("example", 60, 60, 2).Opt().ToArray();
        byte[] name = DnsName.FromText("www.example.com");
        byte[] client = RawMessage.Query("www.example.com", 1, id: 99, edns: true);
        DnsQueryParser.Parse(client, new byte[256], out DnsQuery query);
        DnsGen.Mutated(valid).Sample(packet =>
        {
            DnsAnswer? answer = DnsAnswer.TryParse(packet, name, 1, 1);
            if (answer is not null)
            {
                Assert.HasCount(answer.Ttls.Length, answer.TtlOffsets);
                Assert.IsTrue(answer.TtlOffsets.All(o => o + 4 <= answer.Message.Length));
                byte[] buffer = new byte[70_000];
                int length = answer.WriteTo(buffer, client, query, 1, 0, 86_400);
                Assert.IsTrue(length == -1 || length >= 12, "a written answer is at least a header");
            }
        }, iter: 50_000);
    }

    [TestMethod]
    public void AnAddressRecordRoundTrips()
    {
        // A fixed example next to the generated ones: the decoder sees the address we were given.
        byte[] upstream = RawMessage.ResponseTo(RawMessage.Query("a.example", 1)).A(null, 30, "198.51.100.7").ToArray();
        DnsAnswer answer = DnsAnswer.TryParse(upstream, DnsName.FromText("a.example"), 1, 1)!;
        byte[] client = RawMessage.Query("a.example", 1, id: 5);
        DnsQueryParser.Parse(client, new byte[256], out DnsQuery query);
        byte[] buffer = new byte[512];
        int length = answer.WriteTo(buffer, client, query, 0, 0, uint.MaxValue);

        Assert.AreEqual(IPAddress.Parse("198.51.100.7"), DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, length)).AnswerRecords.OfType<ARecord>().Single().Address);
    }
}

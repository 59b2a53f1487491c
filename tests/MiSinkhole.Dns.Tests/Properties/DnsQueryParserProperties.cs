using CsCheck;
using MiSinkhole.TestKit;

namespace MiSinkhole.Dns.Tests.Properties;

/// <summary>
/// The query parser against generated and mutated input (CsCheck): a valid query round-trips its
/// name (lowercased), type, class and EDNS fields; any other input gives a defined result with
/// the parser's invariants, and never an exception. Bounded: a few seconds in all.
/// </summary>
[TestClass]
public sealed class DnsQueryParserProperties
{
    private static readonly Gen<(string Name, ushort Type, ushort Id, bool Edns, ushort Payload, bool Do)> ValidQuery =
        Gen.Select(DnsGen.Name, Gen.UShort[1, 65535], Gen.UShort, Gen.Bool, Gen.UShort[512, 65535], Gen.Bool);

    [TestMethod]
    public void ValidQueries_RoundTrip()
    {
        ValidQuery.Sample(q =>
        {
            byte[] packet = RawMessage.Query(q.Name, q.Type, q.Id, q.Edns, q.Payload, q.Do);
            byte[] name = new byte[256];

            Assert.AreEqual(DnsParseResult.Ok, DnsQueryParser.Parse(packet, name, out DnsQuery query), q.Name);
            CollectionAssert.AreEqual(DnsName.FromText(q.Name.ToLowerInvariant()), name[..query.NameLength]);
            Assert.AreEqual((q.Type, (ushort)1, q.Id, q.Edns), (query.Type, query.Class, query.Id, query.HasEdns));
            if (q.Edns)
            {
                Assert.AreEqual((q.Payload, q.Do), (query.EdnsPayloadSize, query.DnssecOk));
            }
        }, iter: 20_000);
    }

    [TestMethod]
    public void MutatedQueries_GiveADefinedResult_NeverThrow()
    {
        byte[] valid = RawMessage.Query("www.Fuzz.example", 28, edns: true, dnssecOk: true);
        DnsGen.Mutated(valid).Sample(Check, iter: 50_000);
    }

    [TestMethod]
    public void RandomBytes_GiveADefinedResult_NeverThrow()
    {
        Gen.Byte.Array[0, 600].Sample(Check, iter: 50_000);
    }

    private static void Check(byte[] packet)
    {
        byte[] name = new byte[256];
        DnsParseResult result = DnsQueryParser.Parse(packet, name, out DnsQuery query);
        Assert.IsTrue(Enum.IsDefined(result), result.ToString());
        if (result == DnsParseResult.Ok)
        {
            Assert.IsLessThanOrEqualTo(packet.Length, 12 + query.QuestionLength);
            Assert.IsLessThanOrEqualTo(255, query.NameLength);
            Assert.IsFalse(name[..query.NameLength].Any(b => b is >= (byte)'A' and <= (byte)'Z'), "the name comes out lowercased");
        }
    }
}

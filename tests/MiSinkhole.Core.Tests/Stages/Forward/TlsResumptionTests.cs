using MiSinkhole.Core.Stages.Forward;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>
/// Reading resumption from a server's first TLS records, built here byte by byte: TLS 1.3 by the
/// ServerHello's pre_shared_key, TLS 1.2 by what follows the ServerHello; fed whole or in pieces.
/// (The DoT tests check it against unbound's own count on real handshakes.)
/// </summary>
[TestClass]
public sealed class TlsResumptionTests
{
    private static byte[] Record(byte type, params byte[] fragment) => [type, 3, 3, (byte)(fragment.Length >> 8), (byte)fragment.Length, .. fragment];

    private static byte[] Handshake(byte type, params byte[] body) => [type, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    private static byte[] ServerHello(params byte[][] extensions)
    {
        byte[] all = [.. extensions.SelectMany(e => e)];
        byte[] random = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        return Handshake(2, [3, 3, .. random, 0, 0x13, 0x01, 0, (byte)(all.Length >> 8), (byte)all.Length, .. all]);
    }

    private static readonly byte[] Tls13 = [0, 43, 0, 2, 3, 4];
    private static readonly byte[] Psk = [0, 41, 0, 2, 0, 0];
    private static readonly byte[] KeyShare = [0, 51, 0, 4, 0, 29, 0, 0];

    private static bool? Decide(byte[] bytes, int piece)
    {
        var resumption = new TlsResumption();
        for (int at = 0; at < bytes.Length && resumption.Watching; at += piece)
        {
            resumption.Observe(bytes.AsSpan(at, Math.Min(piece, bytes.Length - at)));
        }

        return resumption.Resumed;
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(4096)]
    public void Tls13_ResumedWhenTheServerHelloCarriesPreSharedKey(int piece)
    {
        Assert.IsTrue(Decide([.. Record(22, ServerHello(Tls13, KeyShare, Psk)), .. Record(20, 1)], piece));
        Assert.IsFalse(Decide([.. Record(22, ServerHello(Tls13, KeyShare)), .. Record(20, 1)], piece));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(4096)]
    public void Tls12_ResumedWhenChangeCipherSpecFollowsTheServerHello_FullWhenACertificateDoes(int piece)
    {
        Assert.IsTrue(Decide([.. Record(22, ServerHello()), .. Record(20, 1)], piece));
        Assert.IsFalse(Decide(Record(22, [.. ServerHello(), .. Handshake(11, 0, 0, 0)]), piece));
        Assert.IsFalse(Decide([.. Record(22, ServerHello()), .. Record(22, Handshake(11, 0, 0, 0))], piece));
    }

    [TestMethod]
    public void NotYetKnown_UntilWhatFollowsTheServerHelloArrives_AndNeverForAnAlert()
    {
        var resumption = new TlsResumption();
        resumption.Observe(Record(22, ServerHello()));
        Assert.IsTrue(resumption.Watching);
        Assert.IsNull(resumption.Resumed);

        Assert.IsNull(Decide(Record(21, 2, 40), 4096), "an alert: nothing to tell");
    }
}

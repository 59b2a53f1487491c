using System.Buffers.Binary;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>EDNS(0), truncation, header handling and error answers, over real sockets.</summary>
[TestClass]
public sealed class ProtocolTests
{
    private static FakeUpstream s_upstream = null!;
    private static RunningDaemon s_daemon = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_upstream = new FakeUpstream();
        s_upstream.Handler = ProtocolUpstream.Answer; // big: ~1,700 bytes of TXT, mid: ~600, else one A
        s_daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(s_upstream.Address).Values);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_daemon.DisposeAsync();
        await s_upstream.DisposeAsync();
    }

    [TestMethod]
    public async Task Edns_OptIsEchoedWithOurPayloadSize_AndAbsentWithoutEdns()
    {
        DnsMessage withEdns = Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("edns.example", 1, edns: true, payload: 4096, dnssecOk: true)));
        DnsMessage withoutEdns = Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("edns.example", 1)));

        Assert.IsTrue(withEdns.IsEDnsEnabled);
        Assert.AreEqual((ushort)1232, withEdns.EDnsOptions!.UdpPayloadSize);
        Assert.IsTrue(withEdns.IsDnsSecOk, "DO is echoed");
        Assert.IsFalse(withoutEdns.IsEDnsEnabled, "no OPT in the answer when the query had none");
        Assert.IsEmpty(withoutEdns.AdditionalRecords);
    }

    [TestMethod]
    public async Task Edns_VersionAboveZero_GetsBadVers()
    {
        byte[]? raw = await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("v1.example", 1, edns: true, ednsVersion: 1));
        DnsMessage answer = Wire.Parse(raw);

        Assert.AreEqual(ReturnCode.BadVersion, answer.ReturnCode);
        Assert.AreEqual((byte)0, answer.EDnsOptions!.Version);
    }

    [TestMethod]
    public async Task Edns_UnknownOptionIsIgnored()
    {
        byte[] option = [0xFD, 0xE9, 0, 3, 1, 2, 3]; // code 65001 (local use), 3 bytes
        DnsMessage answer = Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("opt.example", 1, edns: true, ednsOptions: option)));

        Assert.AreEqual(ReturnCode.NoError, answer.ReturnCode);
        Assert.AreEqual("192.0.2.1", ((ARecord)answer.AnswerRecords.Single()).Address.ToString());
    }

    [TestMethod]
    public async Task Truncation_AnswerOver512WithoutEdns_IsHeaderAndQuestionWithTc_AndTcpGetsItAll()
    {
        byte[]? udp = await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("big.example", 16));
        byte[]? tcp = await RawClient.TcpAsync(s_daemon.EndPoint, RawMessage.Query("big.example", 16));

        DnsMessage truncated = Wire.Parse(udp);
        Assert.IsTrue(truncated.IsTruncated);
        Assert.IsEmpty(truncated.AnswerRecords);
        Assert.AreEqual("big.example", truncated.Questions.Single().Name.ToString(false));
        Assert.IsLessThanOrEqualTo(512, udp!.Length);
        DnsMessage whole = Wire.Parse(tcp);
        Assert.IsFalse(whole.IsTruncated);
        Assert.HasCount(40, whole.AnswerRecords);
    }

    [TestMethod]
    public async Task Truncation_FollowsTheClientsEdnsSize_AndTreatsSizesBelow512As512()
    {
        byte[]? fits = await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("mid.example", 16, edns: true, payload: 1232));
        byte[]? tiny = await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("mid.example", 16, edns: true, payload: 100));
        byte[]? big = await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("big.example", 16, edns: true, payload: 1232));

        Assert.HasCount(14, Wire.Parse(fits).AnswerRecords);
        Assert.IsGreaterThan(512, fits!.Length);
        Assert.IsTrue(Wire.Parse(tiny).IsTruncated, "a 100-byte EDNS size counts as 512: a 600-byte answer does not fit");
        DnsMessage cut = Wire.Parse(big);
        Assert.IsTrue(cut.IsTruncated);
        Assert.IsTrue(cut.IsEDnsEnabled, "the truncated answer keeps our OPT");
    }

    [TestMethod]
    public async Task Truncation_UdpAnswersNeverExceedMaxUdpSize_WhateverTheClientAdvertises()
    {
        // dig advertises 4096 and 65535; the ~1,700-byte answer fits both, but not Dns:MaxUdpSize (1232).
        DigResult at4096 = await Dig.RunAsync(s_daemon.EndPoint, "+bufsize=4096", "+ignore", "big.example", "TXT");
        DigResult at65535 = await Dig.RunAsync(s_daemon.EndPoint, "+bufsize=65535", "+ignore", "big.example", "TXT");
        DigResult overTcp = await Dig.RunAsync(s_daemon.EndPoint, "+tcp", "big.example", "TXT");

        foreach (DigResult udp in new[] { at4096, at65535 })
        {
            Assert.Contains("tc", udp.Flags.Split(' '), udp.Output);
            Assert.IsLessThanOrEqualTo(1232, udp.ReceivedSize, udp.Output);
            Assert.IsEmpty(udp.Answers);
        }

        Assert.HasCount(40, overTcp.Answers, "over TCP the whole answer");
    }

    [TestMethod]
    public async Task Header_IdAndCaseAreEchoedByteForByte_RdCopied_RaSet()
    {
        byte[] query = RawMessage.Query("MiXeD.CaSe.ExAmPle", 1, id: 0xBEEF);
        byte[] noRd = RawMessage.Query("MiXeD.CaSe.ExAmPle", 1, id: 0xBEF0, flags: 0);

        byte[]? answer = await RawClient.UdpAsync(s_daemon.EndPoint, query);
        byte[]? answerNoRd = await RawClient.UdpAsync(s_daemon.EndPoint, noRd);

        Assert.IsNotNull(answer);
        Assert.AreEqual(0xBEEF, BinaryPrimitives.ReadUInt16BigEndian(answer));
        CollectionAssert.AreEqual(query[12..(query.Length)], answer[12..query.Length], "question echoed byte for byte (0x20 case)");
        DnsMessage parsed = Wire.Parse(answer);
        Assert.IsTrue(parsed.IsRecursionDesired);
        Assert.IsTrue(parsed.IsRecursionAllowed);
        DnsMessage parsedNoRd = Wire.Parse(answerNoRd);
        Assert.IsFalse(parsedNoRd.IsRecursionDesired);
        Assert.IsTrue(parsedNoRd.IsRecursionAllowed);
        Assert.AreEqual("MiXeD.CaSe.ExAmPle", parsed.AnswerRecords.Single().Name.ToString(false), "the answer's owner points at the echoed question");
    }

    [TestMethod]
    public async Task Errors_QdcountNotOne_GetsFormErr()
    {
        byte[] none = RawMessage.Header(0x0101, 0x0100).ToArray();
        byte[] two = RawMessage.Header(0x0102, 0x0100).Question("a.example", 1).Question("b.example", 1).SetCount(0, 2).ToArray();

        Assert.AreEqual(ReturnCode.FormatError, Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, none)).ReturnCode);
        Assert.AreEqual(ReturnCode.FormatError, Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, two)).ReturnCode);
    }

    [TestMethod]
    public async Task Errors_OpcodeOtherThanQuery_GetsNotImp()
    {
        byte[] notify = RawMessage.Query("zone.example", 6, id: 9, flags: 4 << 11); // NOTIFY
        byte[] status = RawMessage.Query("zone.example", 6, id: 10, flags: 2 << 11); // STATUS

        Assert.AreEqual(ReturnCode.NotImplemented, Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, notify)).ReturnCode);
        Assert.AreEqual(ReturnCode.NotImplemented, Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, status)).ReturnCode);
    }

    [TestMethod]
    public async Task Errors_AnswerToAnotherOpcode_CarriesNoRaAdOrCd()
    {
        // NOTIFY with RD, AD and CD set: RA, AD and CD are defined for QUERY only.
        byte[] notify = RawMessage.Query("zone.example", 6, id: 12, flags: (4 << 11) | 0x0100 | 0x0020 | 0x0010);

        DnsMessage answer = Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, notify));

        Assert.AreEqual(ReturnCode.NotImplemented, answer.ReturnCode);
        Assert.AreEqual(OperationCode.Notify, answer.OperationCode);
        Assert.IsFalse(answer.IsRecursionAllowed, "no RA");
        Assert.IsFalse(answer.IsAuthenticData, "no AD");
        Assert.IsFalse(answer.IsCheckingDisabled, "no CD");
    }

    [TestMethod]
    public async Task Errors_PacketWithQrSet_GetsNoReply()
    {
        byte[] response = RawMessage.Query("qr.example", 1, flags: 0x8100);

        byte[]? answer = await RawClient.UdpAsync(s_daemon.EndPoint, response, TimeSpan.FromMilliseconds(700));
        byte[]? after = await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("after-qr.example", 1, id: 11));

        Assert.IsNull(answer);
        Assert.AreEqual(ReturnCode.NoError, Wire.Parse(after).ReturnCode, "silence was no reply, not a daemon that stopped answering");
        Assert.AreEqual((ushort)11, Wire.Parse(after).TransactionID);
    }

    [TestMethod]
    [DataRow("pointer in question", new byte[] { 0xC0, 0x0C, 0, 1, 0, 1 })]
    [DataRow("pointer loop", new byte[] { 0xC0, 0x0E, 0xC0, 0x0C, 0, 1, 0, 1 })]
    [DataRow("label over 63", new byte[] { 64, 97, 97, 0, 1, 0, 1 })]
    [DataRow("reserved label type", new byte[] { 0x41, 97, 0, 0, 1, 0, 1 })]
    [DataRow("truncated name", new byte[] { 5, 97, 98 })]
    [DataRow("no type and class", new byte[] { 1, 97, 0 })]
    public async Task Errors_MalformedQuestion_GetsFormErr(string what, byte[] question)
    {
        byte[] packet = [.. RawMessage.Header(0x4242, 0x0100).SetCount(0, 1).ToArray(), .. question];

        DnsMessage answer = Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, packet));

        Assert.AreEqual(ReturnCode.FormatError, answer.ReturnCode, what);
        Assert.AreEqual((ushort)0x4242, answer.TransactionID);
    }

    [TestMethod]
    public async Task Errors_NameOver255Bytes_GetsFormErr()
    {
        string name = string.Join('.', Enumerable.Repeat(new string('a', 60), 5)); // 5 × 61 + 1 = 306 bytes
        byte[] packet = RawMessage.Query(name, 1);

        Assert.AreEqual(ReturnCode.FormatError, Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, packet)).ReturnCode);
    }

    [TestMethod]
    public async Task Errors_LyingCountsAndBadOpt_GetFormErr()
    {
        byte[] lyingAdditional = RawMessage.Header(7, 0x0100).Question("lie.example", 1).SetCount(3, 5).ToArray();
        byte[] lyingAnswers = RawMessage.Header(8, 0x0100).Question("lie.example", 1).SetCount(1, 2).ToArray();
        byte[] twoOpts = RawMessage.Header(9, 0x0100).Question("lie.example", 1).Opt().Opt().ToArray();
        byte[] badOption = RawMessage.Query("lie.example", 1, id: 10, edns: true, ednsOptions: [0, 10, 0, 50, 1]);

        foreach (byte[] packet in new[] { lyingAdditional, lyingAnswers, twoOpts, badOption })
        {
            Assert.AreEqual(ReturnCode.FormatError, Wire.Parse(await RawClient.UdpAsync(s_daemon.EndPoint, packet)).ReturnCode);
        }
    }

    [TestMethod]
    public async Task Errors_RandomGarbage_NeverStopsTheDaemon()
    {
        var random = new Random(20261124);
        using var udp = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        byte[] valid = RawMessage.Query("x.example", 1);
        for (int i = 0; i < 3000; i++)
        {
            byte[] packet;
            if (i % 2 == 0)
            {
                packet = new byte[random.Next(0, 300)];
                random.NextBytes(packet);
            }
            else
            {
                // A valid query with a few bytes flipped: reaches deeper into the parser.
                packet = (byte[])valid.Clone();
                for (int f = 0; f < 3; f++)
                {
                    packet[random.Next(2, packet.Length)] = (byte)random.Next(256);
                }
            }

            if (packet.Length > 2)
            {
                packet[2] &= 0x7F; // keep QR=0 so most of them are parsed
            }

            await udp.SendAsync(packet, s_daemon.EndPoint);
        }

        byte[]? answer = await RawClient.UdpAsync(s_daemon.EndPoint, RawMessage.Query("after-fuzz.example", 1));
        Assert.AreEqual(ReturnCode.NoError, Wire.Parse(answer).ReturnCode);
        byte[]? tcpAnswer = await RawClient.TcpAsync(s_daemon.EndPoint, RawMessage.Query("after-fuzz.example", 1));
        Assert.AreEqual(ReturnCode.NoError, Wire.Parse(tcpAnswer).ReturnCode);
    }

    [TestMethod]
    public async Task ZoneTransfer_IsRefused()
    {
        byte[]? answer = await RawClient.TcpAsync(s_daemon.EndPoint, RawMessage.Query("example", 252));

        Assert.AreEqual(ReturnCode.Refused, Wire.Parse(answer).ReturnCode);
    }
}

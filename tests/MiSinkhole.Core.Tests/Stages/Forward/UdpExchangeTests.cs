using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>Both UDP exchange implementations against a fake upstream: answers, spoofs, timeouts.</summary>
[TestClass]
public sealed class UdpExchangeTests
{
    public static IEnumerable<object[]> Implementations =>
    [
        ["socket"],
        ["epoll"],
    ];

    private static IUdpExchange Create(string kind) => kind == "epoll" ? new EpollUdpExchange() : new SocketUdpExchange();

    private static (byte[] Query, ushort Id, byte[] Name) Question(string name)
    {
        ushort id = UpstreamQuery.NewId();
        byte[] wire = DnsName.FromText(name);
        return (UpstreamQuery.Build(id, wire, 1, 1, false, false), id, wire);
    }

    [TestMethod]
    [DynamicData(nameof(Implementations))]
    public async Task ValidAnswer_IsReturned(string kind)
    {
        await using var upstream = new FakeUpstream();
        IUdpExchange exchange = Create(kind);
        (byte[] query, ushort id, byte[] name) = Question("ok.example");

        DnsAnswer? answer = await exchange.ExchangeAsync(upstream.EndPoint, query, id, name, 1, 1, TimeSpan.FromSeconds(2));

        Assert.IsNotNull(answer);
        Assert.AreEqual(1, answer.AnswerCount);
        (exchange as IDisposable)?.Dispose();
    }

    [TestMethod]
    [DynamicData(nameof(Implementations))]
    public async Task ForgedAnswerFromAnotherPort_AndWrongId_AreIgnored(string kind)
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            using var spoofer = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            spoofer.Send(RawMessage.ResponseTo(q.Raw).A(null, 1, "203.0.113.1").ToArray(), q.From);
            byte[] wrongId = RawMessage.ResponseTo(q.Raw, id: (ushort)(q.Id + 1)).A(null, 1, "203.0.113.2").ToArray();
            return new FakeReply(RawMessage.ResponseTo(q.Raw).A(null, 77, "192.0.2.77").ToArray(), TimeSpan.FromMilliseconds(50), Before: [wrongId]);
        };
        IUdpExchange exchange = Create(kind);
        (byte[] query, ushort id, byte[] name) = Question("forged.example");

        DnsAnswer? answer = await exchange.ExchangeAsync(upstream.EndPoint, query, id, name, 1, 1, TimeSpan.FromSeconds(2));

        Assert.IsNotNull(answer);
        CollectionAssert.AreEqual(new uint[] { 77 }, answer.Ttls);
        (exchange as IDisposable)?.Dispose();
    }

    [TestMethod]
    [DynamicData(nameof(Implementations))]
    public async Task AnswerLargerThanTheReceiveBuffer_IsReadAsTruncated_NotLeftToTimeOut(string kind)
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = q =>
        {
            // 24 TXT records of 250 bytes: about 6 KB in one datagram, past the 4 KiB receive buffer.
            RawMessage response = RawMessage.ResponseTo(q.Raw);
            for (int i = 0; i < 24; i++)
            {
                response.Txt(null, 300, new string('h', 250));
            }

            return response.ToArray();
        };
        IUdpExchange exchange = Create(kind);
        (byte[] query, ushort id, byte[] name) = Question("huge.example");

        // The budget is far longer than the test may wait: only an answer read as cut returns in time.
        Task<DnsAnswer?> pending = exchange.ExchangeAsync(upstream.EndPoint, query, id, name, 1, 1, TimeSpan.FromMinutes(5));
        DnsAnswer? answer = await pending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.IsNotNull(answer, "a cut answer is an answer: truncated");
        Assert.IsTrue(answer.Truncated, "TC: the resolver asks again over TCP");
        Assert.AreEqual(0, answer.AnswerCount, "nothing of the cut records is kept");
        (exchange as IDisposable)?.Dispose();
    }

    [TestMethod]
    [DynamicData(nameof(Implementations))]
    public async Task SilentServer_TimesOutWithNull(string kind)
    {
        await using var upstream = new FakeUpstream();
        upstream.Handler = _ => FakeReply.Drop;
        IUdpExchange exchange = Create(kind);
        (byte[] query, ushort id, byte[] name) = Question("silent.example");

        var stopwatch = Stopwatch.StartNew();
        DnsAnswer? silent = await exchange.ExchangeAsync(upstream.EndPoint, query, id, name, 1, 1, TimeSpan.FromMilliseconds(300));
        TimeSpan silentTime = stopwatch.Elapsed;

        Assert.IsNull(silent);
        Assert.IsGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250), silentTime);
        Assert.IsLessThan(TimeSpan.FromSeconds(2), silentTime);
        (exchange as IDisposable)?.Dispose();
    }
}

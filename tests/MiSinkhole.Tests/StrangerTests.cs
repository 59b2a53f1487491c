using System.Net;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Clients outside <c>Dns:AllowedClients</c>, over real sockets: a well-formed query gets REFUSED,
/// anything else nothing at all (never a FORMERR, NOTIMP or BADVERS a spoofed source could reflect).
/// </summary>
[TestClass]
public sealed class StrangerTests
{
    private static readonly IPAddress Stranger = IPAddress.Parse("127.0.0.3");
    private static readonly IPAddress Member = IPAddress.Parse("127.0.0.2");
    private static FakeUpstream s_upstream = null!;
    private static RunningDaemon s_daemon = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_upstream = new FakeUpstream();
        s_daemon = await RunningDaemon.StartAsync(new TestConfig().Upstream(s_upstream.Address).Set("Dns:AllowedClients:0", "127.0.0.2/32").Values);
    }

    [ClassCleanup]
    public static async Task StopAsync()
    {
        await s_daemon.DisposeAsync();
        await s_upstream.DisposeAsync();
    }

    [TestMethod]
    public async Task Stranger_WellFormedQuery_IsRefused_AndNeverForwarded()
    {
        DigResult dig = await Dig.RunAsync(s_daemon.EndPoint, "-b", Stranger.ToString(), "stranger.example", "A");

        Assert.AreEqual("REFUSED", dig.Status, dig.Output);
        Assert.IsFalse(s_upstream.Received.Any(q => q.Name == "stranger.example"));
    }

    [TestMethod]
    [DataRow("malformed")]
    [DataRow("NOTIFY")]
    [DataRow("EDNS version 1")]
    [DataRow("two questions")]
    public async Task Stranger_GetsNoFormErrNotImpOrBadVers_ButSilence(string what)
    {
        byte[] packet = Packet(what);

        byte[]? fromStranger = await RawClient.UdpAsync(s_daemon.EndPoint, packet, TimeSpan.FromMilliseconds(700), Stranger);
        byte[]? fromMember = await RawClient.UdpAsync(s_daemon.EndPoint, packet, from: Member);

        Assert.IsNull(fromStranger, $"{what}: a stranger gets nothing");
        Assert.AreNotEqual(ReturnCode.NoError, Wire.Parse(fromMember).ReturnCode, $"{what}: an allowed client still gets its error answer");
    }

    private static byte[] Packet(string what) => what switch
    {
        "NOTIFY" => RawMessage.Query("zone.example", 6, flags: 4 << 11),
        "EDNS version 1" => RawMessage.Query("v1.example", 1, edns: true, ednsVersion: 1),
        "two questions" => RawMessage.Header(5, 0x0100).Question("a.example", 1).Question("b.example", 1).SetCount(0, 2).ToArray(),
        _ => [.. RawMessage.Header(4, 0x0100).SetCount(0, 1).ToArray(), 5, 97, 98],
    };
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Bursts over UDP: on Linux the daemon takes queries in batches (recvmmsg) and sends the ready
/// answers together (sendmmsg). Many clients sending at once, with blocked (answered at once),
/// forwarded (answered later, alone) and malformed queries interleaved, must each get exactly
/// their own answers, from the address they asked.
/// </summary>
[TestClass]
public sealed class UdpBatchTests
{
    private const int Clients = 8;
    private const int PerClient = 24;

    [TestMethod]
    [DataRow("127.0.0.1:0", "127.0.0.1")]
    [DataRow("0.0.0.0:0", "127.0.0.3")]
    public async Task Burst_FromManyClients_EveryClientGetsItsOwnAnswers(string listen, string target)
    {
        await using var upstream = new FakeUpstream();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(
            new TestConfig().Set("Dns:Listen:0", listen).Upstream(upstream.Address)
                .List("telemetry", "telemetry.txt").Policy("strict", block: ["telemetry"]).DefaultPolicy("strict").Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "tracking.miui.com\n" });
        var server = new IPEndPoint(IPAddress.Parse(target), daemon.EndPoint.Port);

        var sockets = new Socket[Clients];
        var expected = new Dictionary<ushort, string>[Clients];
        for (int c = 0; c < Clients; c++)
        {
            sockets[c] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
            sockets[c].Bind(new IPEndPoint(IPAddress.Loopback, 0));
            expected[c] = [];
        }

        try
        {
            // Everything is sent before anything is read, round-robin over the clients, so the
            // daemon's socket holds queries of several clients and kinds when it reads.
            for (int i = 0; i < PerClient; i++)
            {
                for (int c = 0; c < Clients; c++)
                {
                    ushort id = (ushort)((c << 8) | i);
                    (byte[] query, string what) = (i % 3) switch
                    {
                        0 => (RawMessage.Query($"q{i}.c{c}.tracking.miui.com", 1, id), $"q{i}.c{c}.tracking.miui.com. 0.0.0.0"),
                        1 => (RawMessage.Query($"q{i}.c{c}.example.org", 1, id), $"q{i}.c{c}.example.org. 192.0.2.1"),
                        _ => (RawMessage.Header(id, 0x0100).SetCount(0, 1).ToArray(), "FORMERR"), // promises a question, has none
                    };
                    expected[c][id] = what;
                    sockets[c].SendTo(query, server);
                }
            }

            for (int c = 0; c < Clients; c++)
            {
                var seen = new Dictionary<ushort, string>();
                byte[] buffer = new byte[4096];
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                sockets[c].ReceiveTimeout = 5000;
                while (seen.Count < PerClient)
                {
                    int length;
                    try
                    {
                        length = sockets[c].ReceiveFrom(buffer, ref from);
                    }
                    catch (SocketException e)
                    {
                        Assert.Fail($"client {c}: {seen.Count} of {PerClient} answers ({e.SocketErrorCode})");
                        return;
                    }

                    Assert.AreEqual(server, (IPEndPoint)from, "answers come from the address that was asked");
                    ushort id = BinaryPrimitives.ReadUInt16BigEndian(buffer);
                    Assert.IsTrue(expected[c].ContainsKey(id), $"client {c} got an answer to id {id:x4}, which it never sent");
                    Assert.IsTrue(seen.TryAdd(id, Describe(buffer.AsSpan(0, length).ToArray())), $"client {c} got id {id:x4} twice");
                }

                CollectionAssert.AreEquivalent(expected[c].ToList(), seen.ToList(), $"client {c}");
            }
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static string Describe(byte[] answer)
    {
        if ((answer[3] & 0x0F) == 1)
        {
            return "FORMERR";
        }

        DnsMessage message = DnsMessage.Parse(answer);
        ARecord a = message.AnswerRecords.OfType<ARecord>().Single();
        return $"{a.Name} {a.Address}";
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Stages.Forward;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Forward;

/// <summary>An upstream's host name through a (fake) bootstrap server: A and AAAA, asked again on the TTL, the last addresses kept through failures.</summary>
[TestClass]
public sealed class BootstrapAddressesTests
{
    [TestMethod]
    public async Task Addresses_AreAskedAgainWhenTheirTtlRunsOut_AndKeptWhileBootstrapFails()
    {
        await using var bootstrap = new FakeUpstream();
        int asked = 0;
        bootstrap.Handler = q =>
        {
            if (q.Type == 28)
            {
                return RawMessage.ResponseTo(q.Raw).ToArray(); // NODATA: the A answers decide
            }

            int n = Interlocked.Increment(ref asked);
            return n switch
            {
                1 => RawMessage.ResponseTo(q.Raw).A(null, 0, "127.0.0.1").ToArray(),
                2 => RawMessage.ResponseTo(q.Raw).A(null, 0, "127.0.0.2").ToArray(),
                _ => RawMessage.ResponseTo(q.Raw, rcode: 2).ToArray(),
            };
        };
        await using var addresses = new BootstrapAddresses("dns.example", [bootstrap.EndPoint], new SocketUdpExchange(), NullLogger.Instance, minRefresh: TimeSpan.FromMilliseconds(50));

        IReadOnlyList<IPAddress> first = await addresses.GetAsync(CancellationToken.None);
        CollectionAssert.Contains(new[] { "127.0.0.1", "127.0.0.2" }, string.Join(",", first));
        for (int polls = 0; addresses.Current[0].ToString() != "127.0.0.2"; polls++, await Task.Delay(20))
        {
            Assert.IsLessThan(250, polls, "the address was never asked again");
        }

        for (int polls = 0; Volatile.Read(ref asked) < 4; polls++, await Task.Delay(20))
        {
            Assert.IsLessThan(400, polls, "bootstrap was not retried after failing");
        }

        Assert.AreEqual("127.0.0.2", addresses.Current[0].ToString(), "a failing bootstrap keeps the last addresses");
    }

    [TestMethod]
    public async Task NoAnswer_FailsAtOnceAfterTheFirstAttempt()
    {
        await using var bootstrap = new FakeUpstream { Handler = q => RawMessage.ResponseTo(q.Raw, rcode: 3).ToArray() };
        await using var addresses = new BootstrapAddresses("missing.example", [bootstrap.EndPoint], new SocketUdpExchange(), NullLogger.Instance);

        var e = await Assert.ThrowsAsync<SocketException>(async () => await addresses.GetAsync(CancellationToken.None));

        Assert.AreEqual(SocketError.HostNotFound, e.SocketErrorCode);
        Assert.IsEmpty(addresses.Current);
    }
}

using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.Tests.Hosting;

/// <summary>
/// An address that is already taken (by a real socket here) ends the start with one line that
/// names the address, the protocol and the likely fix, and exit code 2 (README): no stack trace,
/// no critical log line, no service half started.
/// </summary>
[TestClass]
public sealed class ListenFailureTests
{
    private static void AssertOneLine(string output, string expected)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.HasCount(1, lines, output);
        Assert.AreEqual(expected, lines[0]);
    }

    [TestMethod]
    public async Task DnsUdpPortTaken_OneLine_ExitTwo()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var address = (IPEndPoint)taken.LocalEndPoint!;

        (int exit, string output) = await DaemonProcess.RunAsync($"--Dns:Listen:0={address}", "--Http:Listen=none");

        Assert.AreEqual(2, exit, output);
        AssertOneLine(output, $"misinkhole: cannot listen on {address} (UDP): address already in use — another DNS server (systemd-resolved, dnsmasq, Pi-hole) may hold it; stop it or set Dns:Listen");
    }

    [TestMethod]
    public async Task DnsTcpPortTaken_OneLine_ExitTwo()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = (IPEndPoint)taken.LocalEndpoint;

        (int exit, string output) = await DaemonProcess.RunAsync($"--Dns:Listen:0={address}", "--Http:Listen=none");

        Assert.AreEqual(2, exit, output);
        AssertOneLine(output, $"misinkhole: cannot listen on {address} (TCP): address already in use — another DNS server (systemd-resolved, dnsmasq, Pi-hole) may hold it; stop it or set Dns:Listen");
    }

    [TestMethod]
    public async Task HttpPortTaken_OneLine_ExitTwo_AndNothingCritical()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = (IPEndPoint)taken.LocalEndpoint;

        (int exit, string output) = await DaemonProcess.RunAsync("--Dns:Listen:0=127.0.0.1:0", $"--Http:Listen={address}");

        Assert.AreEqual(2, exit, output);
        AssertOneLine(output, $"misinkhole: cannot listen on {address} (HTTP): address already in use — another program (another misinkhole?) holds it; stop it, or set Http:Listen to another address or to none");
        Assert.DoesNotContain("OperationCanceledException", output);
        Assert.DoesNotContain("crit:", output);
    }

    [TestMethod]
    public async Task AddressOfNoInterface_SaysSo()
    {
        // 192.0.2.0/24 is documentation space: no interface here has it.
        (int exit, string output) = await DaemonProcess.RunAsync("--Dns:Listen:0=192.0.2.53:5300", "--Http:Listen=none");

        Assert.AreEqual(2, exit, output);
        AssertOneLine(output, "misinkhole: cannot listen on 192.0.2.53:5300 (UDP): no network interface of this machine has the address 192.0.2.53 — check Dns:Listen (`ip -brief address` lists this machine's addresses)");
    }
}

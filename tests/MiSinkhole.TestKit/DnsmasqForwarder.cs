using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.TestKit;

/// <summary>
/// Debian's dnsmasq as a home router's DNS forwarder: listens on <see cref="EndPoint"/> (a
/// loopback address of its own), forwards every query to the daemon from that same address, and
/// adds the client as dnsmasq's <c>add-subnet=32,128</c> and <c>add-mac</c> do. It has no cache,
/// so every query reaches the daemon. (Loopback has no neighbour table, so dnsmasq finds no MAC
/// to add here; the subnet option carries the client's address.)
/// </summary>
public sealed class DnsmasqForwarder : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    private DnsmasqForwarder(Process process, IPEndPoint endPoint)
    {
        _process = process;
        EndPoint = endPoint;
    }

    /// <summary>Where clients ask it, and the address it forwards from.</summary>
    public IPEndPoint EndPoint { get; }

    public static async Task<DnsmasqForwarder> StartAsync(IPAddress address, IPEndPoint forwardTo)
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(address, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var start = new ProcessStartInfo("dnsmasq") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[
            "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--cache-size=0",
            "--pid-file=", $"--user={Environment.UserName}", $"--port={port}", $"--listen-address={address}", "--bind-interfaces",
            $"--server={forwardTo.Address}#{forwardTo.Port.ToString(CultureInfo.InvariantCulture)}@{address}",
            "--add-subnet=32,128", "--add-mac",
        ])
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dnsmasq (apt-get install dnsmasq)");
        var forwarder = new DnsmasqForwarder(process, new IPEndPoint(address, port));
        process.ErrorDataReceived += (_, e) => forwarder.Note(e.Data);
        process.OutputDataReceived += (_, e) => forwarder.Note(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        byte[] query = RawMessage.Query("ready.probe", 1);
        for (var waited = Stopwatch.StartNew(); await RawClient.UdpAsync(forwarder.EndPoint, query, TimeSpan.FromMilliseconds(200)) is null;)
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromSeconds(20))
            {
                await forwarder.DisposeAsync();
                throw new InvalidOperationException($"dnsmasq did not answer (exit {(process.HasExited ? process.ExitCode : -1)}): {forwarder.Log}");
            }
        }

        return forwarder;
    }

    /// <summary>What dnsmasq printed.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    private void Note(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

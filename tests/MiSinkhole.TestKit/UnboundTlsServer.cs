using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.TestKit;

/// <summary>
/// Debian's real <c>unbound</c> on 127.0.0.1 serving plain DNS, DoT (<c>tls-port</c>) and DoH
/// (<c>https-port</c>, <c>/dns-query</c>) with a certificate the test made, forwarding everything
/// to an authoritative (a <see cref="FakeUpstream"/>). Its config and files live in
/// a temp folder; it runs in the foreground (<c>unbound -d</c>), is ready once it answers a plain
/// query (polled), and is killed on dispose. <see cref="RestartAsync"/> kills it and starts it
/// again on the same ports (every connection to it dies).
/// </summary>
public sealed class UnboundTlsServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly string _configFile;
    private Process? _process;

    private UnboundTlsServer(TempDirectory directory, string configFile, int plainPort, int tlsPort, int httpsPort)
    {
        _directory = directory;
        _configFile = configFile;
        PlainPort = plainPort;
        TlsPort = tlsPort;
        HttpsPort = httpsPort;
    }

    public int PlainPort { get; }

    public int TlsPort { get; }

    public int HttpsPort { get; }

    /// <summary><c>tls://127.0.0.1:PORT#name</c>, for <c>Upstreams:Servers</c>.</summary>
    public string TlsUpstream(string? tlsName) => $"tls://127.0.0.1:{TlsPort}" + (tlsName is null ? "" : "#" + tlsName);

    /// <summary><c>https://HOST:PORT/dns-query</c>, for <c>Upstreams:Servers</c>.</summary>
    public string HttpsUpstream(string host = "127.0.0.1") => $"https://{host}:{HttpsPort}/dns-query";

    /// <summary>Starts it; <paramref name="idleTimeout"/> is how long it keeps an idle DoT/DoH connection open (unbound's <c>tcp-idle-timeout</c>).</summary>
    public static async Task<UnboundTlsServer> StartAsync(FakeUpstream authoritative, ServerCertificate certificate, TimeSpan? idleTimeout = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            var directory = new TempDirectory();
            int plain = FreePort(), tls = FreePort(), https = FreePort();
            string config = directory.Write("unbound.conf", $"""
                server:
                  verbosity: 1
                  interface: 127.0.0.1@{plain}
                  interface: 127.0.0.1@{tls}
                  interface: 127.0.0.1@{https}
                  tls-port: {tls}
                  https-port: {https}
                  http-endpoint: "/dns-query"
                  http-notls-downstream: no
                  tls-service-key: "{certificate.KeyFile}"
                  tls-service-pem: "{certificate.CertificateFile}"
                  do-ip6: no
                  do-not-query-localhost: no
                  access-control: 127.0.0.0/8 allow
                  chroot: ""
                  username: ""
                  directory: "{directory.Path}"
                  pidfile: "{Path.Combine(directory.Path, "unbound.pid")}"
                  use-syslog: no
                  logfile: ""
                  num-threads: 1
                  module-config: "iterator"
                  qname-minimisation: no
                  msg-cache-size: 0
                  rrset-cache-size: 0
                  incoming-num-tcp: 100
                  tcp-idle-timeout: {(int)(idleTimeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds}
                  statistics-cumulative: yes
                  extended-statistics: yes
                remote-control:
                  control-enable: yes
                  control-interface: "{Path.Combine(directory.Path, "control.sock")}"
                  control-use-cert: no
                forward-zone:
                  name: "."
                  forward-addr: 127.0.0.1@{authoritative.EndPoint.Port}
                """);
            var server = new UnboundTlsServer(directory, config, plain, tls, https);
            try
            {
                await server.StartProcessAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await server.DisposeAsync(); // a port taken meanwhile: again with others
            }
        }
    }

    /// <summary>Kills unbound (its connections die with it) and starts it again on the same ports.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartProcessAsync();
    }

    /// <summary>
    /// One counter of <c>unbound-control stats_noreset</c>, e.g. <c>num.query.tls</c> (queries
    /// over TLS), <c>num.query.tls.resume</c> (of those, on resumed TLS sessions), <c>num.query.https</c>.
    /// </summary>
    public async Task<long> StatAsync(string name)
    {
        var start = new ProcessStartInfo("unbound-control") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(_configFile);
        start.ArgumentList.Add("stats_noreset");
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start unbound-control");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        foreach (string line in output.Split('\n'))
        {
            if (line.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return long.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return process.ExitCode == 0 ? 0 : throw new InvalidOperationException($"unbound-control failed: {output}{await error}");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _directory.Dispose();
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo("unbound") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(_configFile);
        Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start unbound (apt-get install unbound)");
        var log = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;
        var plain = new IPEndPoint(IPAddress.Loopback, PlainPort);
        byte[] probe = RawMessage.Query("ready.probe", 1);
        for (int polls = 0; ; polls++)
        {
            if (process.HasExited)
            {
                string text;
                lock (log)
                {
                    text = log.ToString();
                }

                throw new InvalidOperationException($"unbound exited ({process.ExitCode}): {text}");
            }

            if (polls > 200)
            {
                throw new InvalidOperationException("unbound did not answer within 20 s");
            }

            if (await RawClient.UdpAsync(plain, probe, TimeSpan.FromMilliseconds(100)) is not null && await AcceptsAsync(TlsPort) && await AcceptsAsync(HttpsPort))
            {
                return;
            }
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            await Task.Delay(50);
            return false;
        }
    }

    private async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            process.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Net;
using System.Net.Sockets;

namespace MiSinkhole.TestKit;

/// <summary>
/// A private PostgreSQL cluster for one test, from Debian's <c>postgresql</c> package: <c>initdb</c>
/// in a temporary folder and <c>pg_ctl</c> on a free 127.0.0.1 port, trust authentication on
/// loopback only. PostgreSQL refuses to run as root, so under root (CI) every command runs as the
/// package's <c>postgres</c> user. <see cref="StopAsync"/> and <see cref="StartAsync()"/> take it
/// down and bring it back with its data, for outage tests.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _bin;
    private readonly string _data;
    private readonly bool _asPostgres;

    private PostgresServer(string bin)
    {
        _bin = bin;
        _asPostgres = Environment.UserName == "root";
        _data = Path.Combine(_directory.Path, "cluster");
        Port = FreePort();
    }

    public int Port { get; }

    /// <summary>What the daemon's <c>QueryLog:ConnectionString</c> and <c>State:ConnectionString</c> take.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=misinkhole;Database=postgres;Timeout=3";

    public static async Task<PostgresServer> StartNewAsync()
    {
        string[] versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        string bin = versions.Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0).FirstOrDefault()
            ?? throw new InvalidOperationException("no PostgreSQL under /usr/lib/postgresql: apt-get install postgresql");
        var server = new PostgresServer(bin);
        try
        {
            if (server._asPostgres)
            {
                await RunAsync("chown", "postgres", server._directory.Path);
            }

            await server.PgAsync("initdb", "-D", server._data, "-U", "misinkhole", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions");
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public Task StartAsync() =>
        PgAsync("pg_ctl", "-D", _data, "-l", Path.Combine(_directory.Path, "log"), "-w", "-t", "30", "start",
            "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {_directory.Path} -c fsync=off -c full_page_writes=off");

    /// <summary>Stops it at once (connections are cut, as when the box it runs on goes down).</summary>
    public Task StopAsync() => PgAsync("pg_ctl", "-D", _data, "-w", "-t", "30", "-m", "immediate", "stop");

    /// <summary>Runs SQL with psql and returns what it printed (unaligned, tuples only).</summary>
    public async Task<string> QueryAsync(string sql)
    {
        DigResult result = await ToolProcess.RunAsync(_asPostgres ? "runuser" : Path.Combine(_bin, "psql"), "postgresql",
            [.. _asPostgres ? new[] { "-u", "postgres", "--", Path.Combine(_bin, "psql") } : [], "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-U", "misinkhole", "-d", "postgres", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]);
        return result.ExitCode == 0 ? result.Output.Trim() : throw new InvalidOperationException($"psql: {result.Error}");
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(_data, "postmaster.pid")))
        {
            try
            {
                await StopAsync();
            }
            catch (InvalidOperationException)
            {
                // already down
            }
        }

        _directory.Dispose();
    }

    private Task PgAsync(string tool, params string[] arguments) =>
        _asPostgres ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments]) : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string tool, params string[] arguments)
    {
        DigResult result = await ToolProcess.RunAsync(tool, "postgresql", arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(tool)} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Error}{result.Output}");
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

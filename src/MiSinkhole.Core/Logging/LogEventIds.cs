namespace MiSinkhole.Core.Logging;

/// <summary>
/// The one table of log event id ranges: each owner of log messages gets a block of 100 and
/// numbers its <c>[LoggerMessage]</c> events from it (<c>EventId = LogEventIds.Lists + 1</c>).
/// Ids are stable: a message keeps its id, a removed one leaves a gap. A test checks that no id is
/// used twice and that every id lies in its owner's block.
/// </summary>
public static class LogEventIds
{
    /// <summary>Compiling lists, policies and devices into the running snapshot.</summary>
    public const int Rules = 1000;

    /// <summary>List downloads and refreshes.</summary>
    public const int Lists = 1100;

    /// <summary>The host's neighbour table (IP → MAC).</summary>
    public const int Neighbours = 1200;

    /// <summary>Client names from DHCP leases and PTR lookups.</summary>
    public const int ClientNames = 1300;

    /// <summary>The device inventory and its store.</summary>
    public const int Inventory = 1400;

    /// <summary>The query log writer.</summary>
    public const int QueryLog = 1500;

    /// <summary>Pausing and resuming blocking.</summary>
    public const int Pause = 1600;

    /// <summary>Explaining decisions: the index of rule lines.</summary>
    public const int Explain = 1700;

    /// <summary>The DNS server and its UDP listeners.</summary>
    public const int DnsServer = 2000;

    /// <summary>The TCP listener.</summary>
    public const int Tcp = 2100;

    /// <summary>The DoT listener: handshakes and its certificate.</summary>
    public const int Tls = 2600;

    /// <summary>The daemon host: HTTP, start and stop.</summary>
    public const int Host = 2200;

    /// <summary>The config file watcher (hot reload).</summary>
    public const int ConfigWatcher = 2300;

    /// <summary>Changes to the config file made through the API (the web page's settings).</summary>
    public const int ConfigEditor = 2700;

    /// <summary>The state shared with other instances through PostgreSQL.</summary>
    public const int State = 2800;

    /// <summary>systemd's notify socket: readiness and the watchdog's probe of the DNS listeners.</summary>
    public const int Systemd = 2400;

    /// <summary>Who may use the HTTP listener: the API token, refused requests.</summary>
    public const int HttpAccess = 2500;

    /// <summary>Upstream servers.</summary>
    public const int Upstreams = 3000;

    /// <summary>DoT and DoH connections to upstreams, and the bootstrap of their addresses.</summary>
    public const int UpstreamTransport = 3100;

    /// <summary>The answer cache's serve-stale and background refreshes (prefetch).</summary>
    public const int Cache = 3600;

    /// <summary>Size of each owner's block.</summary>
    public const int BlockSize = 100;
}

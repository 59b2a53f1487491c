using System.Diagnostics;
using System.Diagnostics.Metrics;
using MiSinkhole.Core.Metrics;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// The connection instruments of DoT and DoH upstreams, labelled by upstream and protocol:
/// connections opened, queries sent on a connection that was already open (reuses), TLS
/// handshakes (and those the server resumed), and queries asked again on a fresh connection (why).
/// </summary>
public sealed class UpstreamTransportMetrics
{
    private readonly Counter<long> _connections;
    private readonly Counter<long> _reuses;
    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _resumed;

    public UpstreamTransportMetrics(Meter meter)
    {
        _connections = meter.CreateCounter<long>("misinkhole.upstream.connections", description: "Connections opened to DoT and DoH upstreams, by upstream and protocol.");
        _reuses = meter.CreateCounter<long>("misinkhole.upstream.connection_reuses", description: "Queries sent to DoT and DoH upstreams on a connection that was already open, by upstream and protocol.");
        _handshakes = meter.CreateCounter<long>("misinkhole.upstream.tls_handshakes", description: "TLS handshakes with DoT and DoH upstreams, by upstream, protocol and result (ok or failed).");
        _resumed = meter.CreateCounter<long>("misinkhole.upstream.tls_resumed", description: "TLS handshakes with DoT and DoH upstreams in which the server resumed an earlier session, by upstream and protocol.");
        _retries = meter.CreateCounter<long>("misinkhole.upstream.retries", description: "Queries asked again on a fresh connection, by upstream, protocol and reason: dead (the pooled connection ended under it), silent (nothing arrived on it for half the query's time) or refused (the server said it did not process it).");
    }

    public void ConnectionOpened(UpstreamServer server) => _connections.Add(1, Tags(server));

    public void ConnectionReused(UpstreamServer server) => _reuses.Add(1, Tags(server));

    public void Handshake(UpstreamServer server, bool ok)
    {
        TagList tags = Tags(server);
        tags.Add("result", ok ? "ok" : "failed");
        _handshakes.Add(1, tags);
    }

    /// <summary>The server resumed a session (seen in its ServerHello, <see cref="TlsResumption"/>).</summary>
    public void Resumed(UpstreamServer server) => _resumed.Add(1, Tags(server));

    /// <summary>A query asked again on a fresh connection; <paramref name="reason"/>: dead, silent or refused.</summary>
    public void Retried(UpstreamServer server, string reason)
    {
        TagList tags = Tags(server);
        tags.Add("reason", reason);
        _retries.Add(1, tags);
    }

    private static TagList Tags(UpstreamServer server) =>
        new() { { "upstream", server.Label }, { "protocol", server.ProtocolLabel } };

    /// <summary>The meter these instruments live on, from the daemon's factory (or a meter of its own without one).</summary>
    public static Meter CreateMeter(IMeterFactory? factory) => factory?.Create(SinkholeMeter.Name) ?? new Meter(SinkholeMeter.Name);
}

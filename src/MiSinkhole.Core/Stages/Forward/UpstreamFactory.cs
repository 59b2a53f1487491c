using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Makes the <see cref="IUpstream"/> for each configured server, by its protocol, and owns them:
/// DoT and DoH upstreams share the certificate check (<c>Upstreams:CaFile</c>), the connection
/// instruments, and one <see cref="BootstrapAddresses"/> per host name (resolved through
/// <c>Upstreams:Bootstrap</c>, started when the first upstream needs it). Disposing the factory
/// closes their connections and stops bootstrap.
/// </summary>
public sealed class UpstreamFactory : IAsyncDisposable, IDisposable
{
    private readonly IUdpExchange _udp;
    private readonly UpstreamOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IMeterFactory? _meterFactory;
    private readonly Lazy<UpstreamCertificates> _certificates;
    private readonly Lazy<UpstreamTransportMetrics> _metrics;
    private readonly Dictionary<string, BootstrapAddresses> _bootstrap = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IUpstream> _created = [];

    public UpstreamFactory(IUdpExchange udp, UpstreamOptions? options = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        _udp = udp;
        _options = options ?? new UpstreamOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _meterFactory = meterFactory;
        _certificates = new(() => new UpstreamCertificates(_options.CaFile, _loggerFactory.CreateLogger<UpstreamCertificates>()));
        _metrics = new(() => new UpstreamTransportMetrics(UpstreamTransportMetrics.CreateMeter(_meterFactory)));
    }

    /// <summary>The DoT and DoH upstreams made so far (plain ones own nothing).</summary>
    public IReadOnlyList<IUpstream> Created
    {
        get
        {
            lock (_created)
            {
                return [.. _created];
            }
        }
    }

    public IUpstream Create(UpstreamServer server)
    {
        if (server.Protocol == UpstreamProtocol.Plain)
        {
            return new PlainUpstream(server, _udp);
        }

        BootstrapAddresses? bootstrap = server.Address is null ? Bootstrap(server.Host) : null;
        IUpstream upstream = server.Protocol switch
        {
            UpstreamProtocol.Tls => new DotUpstream(server, bootstrap, _certificates.Value, _metrics.Value, _loggerFactory.CreateLogger<DotUpstream>(), _options.Timeout),
            UpstreamProtocol.Https => new DohUpstream(server, bootstrap, _certificates.Value, _metrics.Value, _loggerFactory.CreateLogger<DohUpstream>(), _options.Timeout),
            _ => throw new NotSupportedException($"{server.Protocol} upstreams are not known"),
        };
        lock (_created)
        {
            _created.Add(upstream);
        }

        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        IUpstream[] upstreams;
        BootstrapAddresses[] bootstrap;
        lock (_created)
        {
            upstreams = [.. _created];
            _created.Clear();
            bootstrap = [.. _bootstrap.Values];
            _bootstrap.Clear();
        }

        foreach (IUpstream upstream in upstreams)
        {
            await upstream.DisposeAsync().ConfigureAwait(false);
        }

        foreach (BootstrapAddresses addresses in bootstrap)
        {
            await addresses.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>For a container disposed synchronously: the same as <see cref="DisposeAsync"/> (nothing it closes waits on anything but its own tasks).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private BootstrapAddresses Bootstrap(string host)
    {
        lock (_created)
        {
            if (!_bootstrap.TryGetValue(host, out BootstrapAddresses? addresses))
            {
                addresses = new BootstrapAddresses(host, _options.Bootstrap, _udp, _loggerFactory.CreateLogger<BootstrapAddresses>());
                _bootstrap.Add(host, addresses);
            }

            return addresses;
        }
    }
}

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>Makes the <see cref="IUpstream"/> for each configured server, by its protocol.</summary>
public sealed class UpstreamFactory
{
    private readonly IUdpExchange _udp;

    public UpstreamFactory(IUdpExchange udp)
    {
        _udp = udp;
    }

    public IUpstream Create(UpstreamServer server) => server.Protocol switch
    {
        UpstreamProtocol.Plain => new PlainUpstream(server, _udp),
        _ => throw new NotSupportedException($"{server.Protocol} upstreams are not built yet"),
    };
}

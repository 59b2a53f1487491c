using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// One configured upstream server, spoken to over its protocol (<see cref="UpstreamProtocol"/>).
/// <see cref="ExchangeAsync"/> asks one question within <c>timeout</c>: the validated answer
/// (our question echoed, from the server we asked), null when none came in time; it throws
/// <see cref="System.Net.Sockets.SocketException"/>, <see cref="IOException"/>,
/// <see cref="System.Security.Authentication.AuthenticationException"/> or
/// <see cref="HttpRequestException"/> when the exchange failed, which the resolver counts as
/// the server's failure. The resolver owns health, order and metrics of results; an upstream
/// owns its connections and their instruments.
/// </summary>
public interface IUpstream : IAsyncDisposable
{
    UpstreamServer Server { get; }

    Task<DnsAnswer?> ExchangeAsync(byte[] name, ushort type, ushort @class, bool dnssecOk, bool checkingDisabled, TimeSpan timeout);
}

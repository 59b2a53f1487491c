using System.Net;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// One UDP question-and-answer with one upstream server from a fresh socket (a fresh random
/// source port). Completes with the validated answer, or null on timeout or error.
/// </summary>
public interface IUdpExchange
{
    Task<DnsAnswer?> ExchangeAsync(IPEndPoint server, byte[] query, ushort id, byte[] name, ushort type, ushort @class, TimeSpan timeout);
}

using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Hosting;

/// <summary>The daemon host's own log lines.</summary>
internal static partial class DaemonHostLog
{
    [LoggerMessage(EventId = LogEventIds.Host, Level = LogLevel.Information, Message = "Serving HTTP on {Addresses}: /metrics, /healthz, /readyz, /api")]
    public static partial void ServingHttp(ILogger logger, string addresses);
}

using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Hosting;

/// <summary>The daemon host's own log lines.</summary>
internal static partial class DaemonHostLog
{
    [LoggerMessage(EventId = LogEventIds.Host, Level = LogLevel.Information, Message = "Serving HTTP on {Addresses}: the web page at /, /metrics, /healthz, /readyz, /api")]
    public static partial void ServingHttp(ILogger logger, string addresses);

    [LoggerMessage(EventId = LogEventIds.Host + 1, Level = LogLevel.Information, Message = "Stopping: closing the listeners, writing the query log and the device inventory")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = LogEventIds.Host + 2, Level = LogLevel.Information, Message = "Stopped after running for {Uptime}")]
    public static partial void Stopped(ILogger logger, string uptime);
}

using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MiSinkhole.Hosting;

/// <summary>Says when the daemon begins to stop (SIGTERM, Ctrl+C, systemctl stop) and when it has stopped.</summary>
internal sealed class LifetimeLog(IHostApplicationLifetime lifetime, ILogger<LifetimeLog> logger, TimeProvider time) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The lifetime's tokens live as long as the host: the registrations need no undoing.
        long started = time.GetTimestamp();
        lifetime.ApplicationStopping.Register(() => DaemonHostLog.Stopping(logger));
        lifetime.ApplicationStopped.Register(() =>
        {
            string uptime = time.GetElapsedTime(started).ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture);
            DaemonHostLog.Stopped(logger, uptime);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

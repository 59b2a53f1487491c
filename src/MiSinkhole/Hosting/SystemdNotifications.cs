using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using MiSinkhole.Transport;

namespace MiSinkhole.Hosting;

/// <summary>
/// When systemd's notify socket is set (<c>Type=notify</c>): READY=1 once every hosted service
/// has started (the DNS listeners bound, the rules loaded), and with <c>WatchdogSec=</c> a
/// WATCHDOG=1 twice per interval, but only while the DNS listeners serve, so systemd restarts a
/// hung daemon. Does nothing elsewhere.
/// </summary>
public sealed class SystemdNotifications(ISystemdNotifier notifier, DnsServer dns, IHostApplicationLifetime lifetime, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled)
        {
            return;
        }

        lifetime.ApplicationStarted.Register(() => notifier.Notify(ServiceState.Ready));
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long microseconds) || microseconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMicroseconds(microseconds / 2), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (dns.IsReady)
                {
                    notifier.Notify(new ServiceState("WATCHDOG=1"));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

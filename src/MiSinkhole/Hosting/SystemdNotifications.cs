using System.Globalization;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;
using MiSinkhole.Transport;

namespace MiSinkhole.Hosting;

/// <summary>
/// When systemd's notify socket is set (<c>Type=notify</c>): READY=1 once every hosted service
/// has started (the DNS listeners bound, the rules loaded), and with <c>WatchdogSec=</c> a
/// WATCHDOG=1 twice per interval, each only after every DNS listener has answered a probe
/// (<see cref="DnsProbe"/>) through its own UDP socket within a quarter of the interval. A hung
/// receive thread, or a pipeline that no longer answers, stops the feeding, says why in STATUS=
/// (<c>systemctl status</c>) and the log, and systemd restarts the daemon. Does nothing elsewhere.
/// </summary>
public sealed partial class SystemdNotifications(ISystemdNotifier notifier, DnsServer dns, IHostApplicationLifetime lifetime, TimeProvider time,
    ILogger<SystemdNotifications> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled)
        {
            return;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() =>
        {
            notifier.Notify(ServiceState.Ready);
            started.TrySetResult();
        });
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long microseconds) || microseconds <= 0)
        {
            return;
        }

        TimeSpan interval = TimeSpan.FromMicroseconds(microseconds / 2);
        TimeSpan deadline = interval / 2; // a probe that is not answered by then leaves the next tick time to try again
        try
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false); // never WATCHDOG=1 before READY=1
            using var timer = new PeriodicTimer(interval, time);
            bool failing = false;
            do
            {
                if (!dns.IsReady)
                {
                    continue;
                }

                string? problem = await ProbeAsync(dns.EndPoints, deadline, stoppingToken).ConfigureAwait(false);
                if (problem is null)
                {
                    notifier.Notify(new ServiceState("WATCHDOG=1"));
                    if (failing)
                    {
                        notifier.Notify(new ServiceState("STATUS=Serving DNS"));
                        LogAnswering();
                    }
                }
                else
                {
                    notifier.Notify(new ServiceState("STATUS=Not feeding the watchdog: " + problem));
                    LogNotAnswering(problem);
                }

                failing = problem is not null;
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Null when every listener answered its probe, else which did not and why.</summary>
    private static async Task<string?> ProbeAsync(IReadOnlyList<IPEndPoint> listeners, TimeSpan deadline, CancellationToken cancellationToken)
    {
        string?[] problems = await Task.WhenAll(listeners.Select(async listener =>
            await DnsProbe.AskAsync(DnsProbe.Reachable(listener), deadline, attempts: 3, cancellationToken).ConfigureAwait(false) is string problem
                ? $"the DNS listener {listener} (UDP): {problem}" : null)).ConfigureAwait(false);
        return problems.FirstOrDefault(p => p is not null);
    }

    [LoggerMessage(EventId = LogEventIds.Systemd + 1, Level = LogLevel.Warning, Message = "Watchdog: not fed, {Problem}; systemd restarts the daemon if this goes on")]
    private partial void LogNotAnswering(string problem);

    [LoggerMessage(EventId = LogEventIds.Systemd + 2, Level = LogLevel.Information, Message = "Watchdog: every DNS listener answers its probe again; fed")]
    private partial void LogAnswering();
}

using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Devices;

namespace MiSinkhole.Core.Tests;

/// <summary>Keeps what <see cref="NeighbourTable"/> logs, for assertions on its log-once rules.</summary>
internal sealed class RecordingLogger : ILogger<NeighbourTable>
{
    private readonly List<(LogLevel Level, int EventId, string Message)> _entries = [];

    public (LogLevel Level, int EventId, string Message)[] Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}

using System.Diagnostics.Metrics;

namespace MiSinkhole.Core.Metrics;

/// <summary>
/// The daemon's <see cref="IMeterFactory"/>: the <see cref="SinkholeMeter"/> meter gets the tag
/// <c>instance</c> (<c>Instance:Name</c>), which the Prometheus exporter puts on every series as
/// <c>otel_scope_instance</c>, so two instances' series stay apart whatever the scrape's own
/// labels; other meters are made as asked. One meter per name, version and tags, disposed with it.
/// </summary>
public sealed class InstanceMeterFactory(string instance) : IMeterFactory
{
    private readonly Dictionary<(string Name, string? Version, string Tags), Meter> _meters = [];
    private readonly Lock _lock = new();

    public Meter Create(MeterOptions options)
    {
        IEnumerable<KeyValuePair<string, object?>>? tags = options.Tags;
        if (options.Name == SinkholeMeter.Name && tags is null)
        {
            tags = [new("instance", instance)];
        }

        string key = tags is null ? "" : string.Join('\n', tags.Select(t => $"{t.Key}={t.Value}"));
        lock (_lock)
        {
            if (!_meters.TryGetValue((options.Name, options.Version, key), out Meter? meter))
            {
                meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = tags, Scope = this });
                _meters[(options.Name, options.Version, key)] = meter;
            }

            return meter;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (Meter meter in _meters.Values)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}

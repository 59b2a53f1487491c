using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Logging;
using MiSinkhole.Core.Metrics;
using MiSinkhole.Core.Policies;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// Loads the configured lists, compiles them with the policies into a <see cref="ConfigSnapshot"/>
/// and publishes it atomically. Queries read <see cref="Current"/> and never wait for a load.
/// </summary>
public sealed partial class ActiveConfig
{
    private readonly ILogger<ActiveConfig> _logger;
    private readonly Lock _loadLock = new();
    private volatile ConfigSnapshot? _current;
    private volatile SinkholeOptions? _options;

    public ActiveConfig(ILogger<ActiveConfig> logger, IMeterFactory meterFactory)
    {
        _logger = logger;
        Meter meter = meterFactory.Create(SinkholeMeter.Name);
        meter.CreateObservableGauge("misinkhole.rules.loaded", RuleCounts, description: "Rules loaded per list (category).");
        meter.CreateObservableGauge("misinkhole.rules.last_load", () => _current is { } s ? s.CompiledAt.ToUnixTimeSeconds() : 0L, unit: "s",
            description: "Unix time the rules were last compiled (start, list refresh or config reload).");
    }

    public ConfigSnapshot Current => _current ?? throw new InvalidOperationException("rules are not loaded yet");

    /// <summary>The configuration of the latest <see cref="Load"/> (a config reload replaces it).</summary>
    public SinkholeOptions Options => _options ?? throw new InvalidOperationException("rules are not loaded yet");

    /// <summary>Reads every list source and swaps in the result. Returns the lines that could not be used.</summary>
    public IReadOnlyList<RuleListError> Load(SinkholeOptions options)
    {
        lock (_loadLock)
        {
            _options = options;
            return LoadLocked(options);
        }
    }

    /// <summary>The current snapshot, or null before the first load.</summary>
    public ConfigSnapshot? TryGetCurrent() => _current;

    /// <summary>The latest configuration, or null before the first load.</summary>
    public SinkholeOptions? TryGetOptions() => _options;

    /// <summary>Loads the lists again with the latest configuration (a list changed on disk).</summary>
    public IReadOnlyList<RuleListError> Reload()
    {
        lock (_loadLock)
        {
            return LoadLocked(Options);
        }
    }

    private List<RuleListError> LoadLocked(SinkholeOptions options)
    {
        var stopwatch = Stopwatch.StartNew();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        (ConfigSnapshot snapshot, List<RuleListError> errors) = Compile(options);
        _current = snapshot;
        long allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;

        // Parsing leaves the line strings and the old snapshot behind: compact and give the
        // memory back to the OS now, or the process keeps it mapped (RSS) long after.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        foreach (RuleListError error in errors.Take(20))
        {
            LogBadLine(error.Source, error.Line, error.Reason, error.Text);
        }

        if (errors.Count > 20)
        {
            LogMoreBadLines(errors.Count - 20);
        }

        LogLoaded(snapshot.Rules.Count, snapshot.Rules.ListNames.Count, stopwatch.ElapsedMilliseconds, allocated >> 20);
        return errors;
    }

    /// <summary>Compiles lists and policies without publishing (also used by check-config).</summary>
    public static (ConfigSnapshot Snapshot, List<RuleListError> Errors) Compile(SinkholeOptions options)
    {
        var errors = new List<RuleListError>();
        string[] listNames = [.. options.Lists.Select(l => l.Name)];
        long bytes = options.Lists.SelectMany(l => l.Sources).Where(File.Exists).Sum(f => new FileInfo(f).Length);
        // A hosts line is ~30 bytes, a plain one ~22: under-estimating costs one table doubling at
        // most, over-estimating would keep a table twice the size for good.
        int[] listRules = new int[listNames.Length];
        var builder = new RuleSetBuilder(listNames, expectedRules: (int)Math.Min(bytes / 40, 50_000_000));
        for (int i = 0; i < options.Lists.Count; i++)
        {
            if (!options.Lists[i].Enabled)
            {
                continue;
            }

            foreach (string source in options.Lists[i].Sources)
            {
                if (!File.Exists(source) && options.Lists[i].MayBeMissing(source))
                {
                    continue; // a URL not downloaded yet (the refresh service fetches it and reloads), or an optional file not written yet
                }

                try
                {
                    using var reader = new StreamReader(source, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
                    listRules[i] += RuleListParser.Parse(reader, source, builder, i, errors).Rules;
                }
                catch (IOException e)
                {
                    errors.Add(new RuleListError(source, 0, "cannot read: " + e.Message, ""));
                }
                catch (UnauthorizedAccessException e)
                {
                    errors.Add(new RuleListError(source, 0, "cannot read: " + e.Message, ""));
                }
            }
        }

        CompiledRuleSet rules = builder.Build();
        var policies = options.Policies.ToDictionary(p => p.Name, p => new CompiledPolicy(p, listNames), StringComparer.OrdinalIgnoreCase);
        foreach (PolicyOptions policy in options.Policies)
        {
            if (policy.Schedule is not null && options.Schedules.TryGetValue(policy.Schedule, out Policies.WeeklySchedule? schedule))
            {
                policies[policy.Name].SetSchedule(policy.Schedule, schedule, policy.Otherwise is null ? null : policies.GetValueOrDefault(policy.Otherwise));
            }
        }

        CompiledPolicy defaultPolicy = policies.TryGetValue(options.DefaultPolicy, out CompiledPolicy? p)
            ? p
            : new CompiledPolicy(new PolicyOptions { Name = options.DefaultPolicy }, listNames);
        var devices = new DeviceTable(options.Devices.Devices, name => name is null ? defaultPolicy : policies.GetValueOrDefault(name) ?? defaultPolicy);
        return (new ConfigSnapshot(rules, policies, defaultPolicy, devices, options) { ListRuleCounts = listRules, CompiledAt = DateTimeOffset.UtcNow }, errors);
    }

    private IEnumerable<Measurement<long>> RuleCounts()
    {
        if (_current is not { } snapshot)
        {
            yield break;
        }

        for (int i = 0; i < snapshot.ListRuleCounts.Count; i++)
        {
            yield return new Measurement<long>(snapshot.ListRuleCounts[i], new KeyValuePair<string, object?>("list", snapshot.ListName(i)));
        }
    }

    [LoggerMessage(EventId = LogEventIds.Rules + 1, Level = LogLevel.Warning, Message = "{Source}:{Line}: {Reason}: '{Text}' (line skipped)")]
    private partial void LogBadLine(string source, int line, string reason, string text);

    [LoggerMessage(EventId = LogEventIds.Rules + 2, Level = LogLevel.Warning, Message = "{Count} more unusable lines not shown")]
    private partial void LogMoreBadLines(int count);

    [LoggerMessage(EventId = LogEventIds.Rules + 3, Level = LogLevel.Information, Message = "Rules loaded: {Rules} names in {Lists} lists in {ElapsedMs} ms ({AllocatedMb} MB allocated)")]
    private partial void LogLoaded(int rules, int lists, long elapsedMs, long allocatedMb);
}

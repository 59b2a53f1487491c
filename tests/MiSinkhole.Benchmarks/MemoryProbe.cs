using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Configuration;
using MiSinkhole.TestKit;

namespace MiSinkhole.Benchmarks;

/// <summary>
/// Load time and memory of a big rule list, the way the daemon loads it (ActiveConfig):
/// <c>dotnet run -c Release --project tests/MiSinkhole.Benchmarks -- memory LIST.hosts</c>.
/// Prints the time to load and compile, managed heap per rule after compaction, RSS at steady
/// state, and the peak RSS while a refresh compiles a second copy beside the first (Linux:
/// VmHWM, reset through /proc/self/clear_refs).
/// </summary>
public static class MemoryProbe
{
    public static int Run(string list)
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = new TestConfig().List("big", Path.GetFullPath(list)).ReadWithProblems(Environment.CurrentDirectory);
        if (problems.Count > 0)
        {
            Console.Error.WriteLine(string.Join("\n", problems));
            return 1;
        }

        var engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long firstAllocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        engine.Load(options); // compiles, swaps, then compacts the heap
        double loadSeconds = stopwatch.Elapsed.TotalSeconds;
        long firstAllocated = GC.GetTotalAllocatedBytes(precise: true) - firstAllocatedBefore;
        int rules = engine.Current.Rules.Count;
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        long steadyRss = ReadStatus("VmRSS");

        ResetPeak();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        stopwatch.Restart();
        engine.Load(options); // a refresh: the new set is built while the old one still serves
        double reloadSeconds = stopwatch.Elapsed.TotalSeconds;
        long peakRss = ReadStatus("VmHWM");
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long rssAfterReload = ReadStatus("VmRSS");

        Console.WriteLine($"rules: {rules:N0} from {list}");
        Console.WriteLine($"load + compile: {loadSeconds:F3} s (refresh: {reloadSeconds:F3} s)");
        Console.WriteLine($"managed heap for the rule set: {(heapAfter - heapBefore) / (double)rules:F1} bytes per rule ({(heapAfter - heapBefore) / 1048576.0:F1} MB)");
        Console.WriteLine($"allocated: {firstAllocated / 1048576.0:F1} MB during the first load, {allocated / 1048576.0:F1} MB during the refresh");
        Console.WriteLine($"RSS steady: {steadyRss / 1024.0:F1} MB; peak during refresh: {peakRss / 1024.0:F1} MB ({(double)peakRss / steadyRss:F2}x); after refresh: {rssAfterReload / 1024.0:F1} MB");
        GC.KeepAlive(engine);
        return 0;
    }

    private static long ReadStatus(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");
}

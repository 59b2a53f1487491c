using System.Diagnostics;

namespace MiSinkhole.Benchmarks;

/// <summary>
/// Runs one hot-path benchmark's body in a plain loop for a while, for a profiler to attach to
/// (`perf record -g`, with DOTNET_PerfMapEnabled=1): BenchmarkDotNet's own process builds and
/// JIT-compiles a project around the run, which drowns a profile. Prints the rate it reached,
/// which is for orientation only; the figures to quote come from BenchmarkDotNet.
/// <c>hotloop blocked|hit SECONDS</c>
/// </summary>
public static class HotLoopProbe
{
    public static int Run(string which, int seconds)
    {
        var bench = new HotPathBenchmarks();
        bench.Setup();
        try
        {
            Func<int> body = which switch
            {
                "blocked" => bench.BlockedQueryThroughPipeline,
                "hit" => bench.CacheHitThroughPipeline,
                _ => throw new ArgumentException($"hotloop: 'blocked' or 'hit', not '{which}'"),
            };
            var clock = Stopwatch.StartNew();
            long calls = 0;
            int sink = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                for (int i = 0; i < 10_000; i++)
                {
                    sink ^= body();
                }

                calls += 10_000;
            }

            Console.WriteLine($"{which}: {calls} calls in {clock.Elapsed.TotalSeconds:F1} s, {clock.Elapsed.TotalNanoseconds / calls:F1} ns each (answer bytes xor {sink})");
            return 0;
        }
        finally
        {
            bench.Cleanup();
        }
    }
}

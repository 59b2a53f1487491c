using BenchmarkDotNet.Running;
using MiSinkhole.Benchmarks;

if (args is ["memory", string list])
{
    return MemoryProbe.Run(list);
}

BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);
return 0;

using BenchmarkDotNet.Running;
using MiSinkhole.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);

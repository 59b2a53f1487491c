using BenchmarkDotNet.Running;
using MiSinkhole.Benchmarks;

if (args is ["memory", string list])
{
    return MemoryProbe.Run(list);
}

if (args is ["hotloop", string which, string seconds])
{
    return HotLoopProbe.Run(which, int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
}

if (args is ["amplification"])
{
    return await AmplificationProbe.RunAsync();
}

if (args is ["fairshare", ..])
{
    return await FairShareProbe.RunAsync(args[1..]);
}

if (args is ["recall", _, ..])
{
    return RecallProbe.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);
return 0;

using MiSinkhole.Core.Configuration;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages.Cache;

/// <summary>The serve-stale and prefetch keys of the <c>Cache</c> section: defaults, values, bounds.</summary>
[TestClass]
public sealed class CacheOptionsTests
{
    private static (SinkholeOptions Options, IReadOnlyList<ConfigError> Problems) Read(params (string Key, string? Value)[] values)
    {
        using var dir = new TempDirectory();
        return new TestConfig().SetAll(values).ReadWithProblems(dir.Path);
    }

    [TestMethod]
    public void Defaults_AreRfc8767s_ServeStaleAndPrefetchOn()
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read();

        Assert.IsEmpty(problems);
        Assert.IsTrue(options.Cache.ServeStale);
        Assert.AreEqual(TimeSpan.FromSeconds(30), options.Cache.StaleTtl);
        Assert.AreEqual(TimeSpan.FromDays(1), options.Cache.StaleMaxAge);
        Assert.IsTrue(options.Cache.Prefetch);
    }

    [TestMethod]
    public void Values_AreRead()
    {
        (SinkholeOptions options, IReadOnlyList<ConfigError> problems) = Read(
            ("Cache:ServeStale", "false"), ("Cache:StaleTtl", "10s"), ("Cache:StaleMaxAge", "3d"), ("Cache:Prefetch", "false"));

        Assert.IsEmpty(problems);
        Assert.IsFalse(options.Cache.ServeStale);
        Assert.AreEqual(TimeSpan.FromSeconds(10), options.Cache.StaleTtl);
        Assert.AreEqual(TimeSpan.FromDays(3), options.Cache.StaleMaxAge);
        Assert.IsFalse(options.Cache.Prefetch);
    }

    [TestMethod]
    [DataRow("Cache:ServeStale", "sometimes")]
    [DataRow("Cache:Prefetch", "yes please")]
    [DataRow("Cache:StaleTtl", "0s")]
    [DataRow("Cache:StaleTtl", "2h")]
    [DataRow("Cache:StaleMaxAge", "8d")]
    [DataRow("Cache:StaleMaxAge", "a while")]
    public void ValuesOutOfRange_AreErrors(string key, string value)
    {
        (_, IReadOnlyList<ConfigError> problems) = Read((key, value));

        Assert.AreEqual(key, problems.Single().Key);
    }
}

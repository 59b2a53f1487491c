using MiSinkhole.Hosting;

namespace MiSinkhole.Tests.Hosting;

/// <summary>The daemon caps glibc's malloc arenas at start, unless the environment already chose.</summary>
[TestClass]
public sealed class NativeHeapTests
{
    [TestMethod]
    public void OnLinux_GlibcTakesTheArenaCap_UnlessMallocArenaMaxIsSet()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.IsFalse(NativeHeap.CapArenas(), "only glibc has the setting");
            return;
        }

        string? before = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX");
        try
        {
            Environment.SetEnvironmentVariable("MALLOC_ARENA_MAX", null);
            Assert.IsTrue(NativeHeap.CapArenas(), "mallopt(M_ARENA_MAX) is found in libc and accepted");

            Environment.SetEnvironmentVariable("MALLOC_ARENA_MAX", "4");
            Assert.IsFalse(NativeHeap.CapArenas(), "the operator's MALLOC_ARENA_MAX wins");
        }
        finally
        {
            Environment.SetEnvironmentVariable("MALLOC_ARENA_MAX", before);
        }
    }
}

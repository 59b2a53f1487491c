using System.Runtime.InteropServices;

namespace MiSinkhole.Hosting;

/// <summary>
/// glibc's malloc gives each thread that allocates at the same time as another its own arena
/// (up to eight per core), and an arena's freed pages stay resident. Our native allocations
/// are SQLite's (the query-log writer, which runs on whichever thread-pool thread flushes) and
/// the runtime's own: two arenas are plenty. tests/bench/memory-phases.sh 8 on the trimmed
/// build, two rounds each: high-water at the end 103 / 108 MB with the cap, 113 / 118 MB without.
/// A MALLOC_ARENA_MAX in the environment wins; elsewhere than glibc this does nothing.
/// </summary>
internal static partial class NativeHeap
{
    private const int MArenaMax = -8;

    public const int Arenas = 2;

    /// <summary>Caps the arenas; true when glibc took the setting.</summary>
    public static bool CapArenas()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return false;
        }

        try
        {
            return mallopt(MArenaMax, Arenas) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc
        }
    }

    [LibraryImport("libc")]
    private static partial int mallopt(int parameter, int value);
}

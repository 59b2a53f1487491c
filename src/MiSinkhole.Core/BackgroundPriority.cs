using System.Globalization;
using System.Runtime.InteropServices;

namespace MiSinkhole.Core;

/// <summary>
/// Lowers the CPU priority of the calling thread only (Linux: <c>setpriority</c> on its thread id,
/// which the kernel's scheduler treats as a nice value of that one thread). Work that may come
/// late (the query log's flush) then yields the core to the DNS receive loop at once, instead of
/// sharing it evenly while a burst of queries waits: on a one-core box, or a daemon pinned to one
/// core, that is the difference in the answer-time tail. Elsewhere it does nothing.
/// </summary>
public static partial class BackgroundPriority
{
    /// <summary>
    /// The nice value background threads take (0 is normal, 19 the lowest priority). 4 gives such a
    /// thread a weight of 423 against a normal thread's 1024: the DNS loop still gets the core when
    /// a query arrives, and the writer still gets about a third of a core that DNS keeps busy. At 10
    /// (weight 110) a one-core machine saturated by queries starved the query log's writer for
    /// seconds, so answered queries were not on disk when the daemon was killed (CI, QueryLogCrashTests).
    /// </summary>
    public const int Nice = 4;

    private const int PrioProcess = 0; // with a thread id, the one thread

    /// <summary>Lowers the calling thread to <see cref="Nice"/>; false where that is not supported or refused.</summary>
    public static bool LowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        if (CurrentThreadNice() >= Nice)
        {
            return true; // already as low (the whole daemon started with nice): raising it back would need a privilege
        }

        try
        {
            return setpriority(PrioProcess, gettid(), Nice) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a C library without gettid (musl before 1.2.2)
        }
    }

    /// <summary>The nice value of the calling thread, read back from <c>/proc</c> (for tests and diagnostics); null where unknown.</summary>
    public static int? CurrentThreadNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            string stat = File.ReadAllText($"/proc/self/task/{gettid()}/stat");
            // "pid (comm) state ppid ...": the name may hold spaces and parentheses, so count from
            // its last ')'; nice is field 19 of stat(5), the 17th after the name.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[16], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int priority);
}

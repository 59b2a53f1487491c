using System.Runtime.InteropServices;

namespace MiSinkhole.Tests;

/// <summary>
/// Stops single threads of another process, the rest of it running on: a hung thread, as a
/// debugger would make it (ptrace SEIZE + INTERRUPT; SIGSTOP would stop the whole process). All
/// ptrace calls come from one dedicated thread, the tracer; disposing (or that thread ending)
/// lets the threads run again.
/// </summary>
internal sealed partial class ThreadFreezer : IDisposable
{
    private const long PtraceSeize = 0x4206;
    private const long PtraceInterrupt = 0x4207;
    private const long PtraceDetach = 17;

    private readonly ManualResetEventSlim _thaw = new();
    private readonly Thread _tracer;
    private readonly TaskCompletionSource<int> _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ThreadFreezer(IReadOnlyList<int> threads)
    {
        _tracer = new Thread(() => Trace(threads)) { IsBackground = true, Name = "test-tracer" };
        _tracer.Start();
    }

    /// <summary>The threads of <paramref name="pid"/> whose name (<c>/proc/PID/task/TID/comm</c>) starts with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<int> Threads(int pid, string prefix) =>
        [.. Directory.GetDirectories($"/proc/{pid}/task")
            .Where(task => File.ReadAllText(Path.Combine(task, "comm")).StartsWith(prefix, StringComparison.Ordinal))
            .Select(task => int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>Stops <paramref name="threads"/>; the task ends once they are stopped (0), or with the errno of the call that failed.</summary>
    public static (ThreadFreezer Freezer, Task<int> Frozen) Freeze(IReadOnlyList<int> threads)
    {
        var freezer = new ThreadFreezer(threads);
        return (freezer, freezer._frozen.Task);
    }

    public void Dispose()
    {
        _thaw.Set();
        _tracer.Join(TimeSpan.FromSeconds(10));
        _thaw.Dispose();
    }

    private void Trace(IReadOnlyList<int> threads)
    {
        var seized = new List<int>();
        try
        {
            foreach (int thread in threads)
            {
                if (ptrace(PtraceSeize, thread, 0, 0) != 0 || ptrace(PtraceInterrupt, thread, 0, 0) != 0)
                {
                    _frozen.TrySetResult(Marshal.GetLastPInvokeError());
                    return;
                }

                seized.Add(thread);
            }

            foreach (int thread in threads)
            {
                while (!File.ReadAllText($"/proc/{thread}/stat").Split(") ")[1].StartsWith('t'))
                {
                    Thread.Yield(); // until the kernel reports it in a tracing stop
                }
            }

            _frozen.TrySetResult(0);
            _thaw.Wait();
        }
        finally
        {
            foreach (int thread in seized)
            {
                _ = ptrace(PtraceDetach, thread, 0, 0);
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long ptrace(long request, int pid, nint address, nint data);
}

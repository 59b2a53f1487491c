using System.Runtime.InteropServices;

namespace MiSinkhole.Tests;

/// <summary>Sends SIGTERM the way systemd and docker stop do (Process.Kill sends SIGKILL).</summary>
internal static partial class NativeSignal
{
    private const int SigTerm = 15;

    public static int Terminate(int pid) => kill(pid, SigTerm);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}

using System.Runtime.InteropServices;

namespace MiSinkhole.Tests;

/// <summary>Sends SIGTERM the way systemd and docker stop do (Process.Kill sends SIGKILL).</summary>
internal static partial class NativeSignal
{
    private const int SigTerm = 15;

    public static int Terminate(int pid) => kill(pid, SigTerm);

    /// <summary>SIGHUP: what <c>systemctl reload</c> sends.</summary>
    public static int Hangup(int pid) => kill(pid, 1);

    /// <summary>SIGKILL: no flush, no shutdown, as a power cut would leave the process.</summary>
    public static int Kill(int pid) => kill(pid, 9);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}

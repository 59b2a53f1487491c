using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The built <c>misinkhole</c> executable run as a separate process, as a user runs it.</summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private readonly TempDirectory? _state;

    private DaemonProcess(Process process, TempDirectory? state)
    {
        _process = process;
        _state = state;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public Process Process => _process;

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "misinkhole.dll");

    /// <param name="input">What the program reads on its standard input (then closed); null: none redirected.</param>
    public static DaemonProcess Start(IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? input = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Executable);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        // The quick start keeps its state in $XDG_STATE_HOME/misinkhole: a test's own folder,
        // not the home of whoever runs the tests.
        TempDirectory? state = null;
        if (environment?.ContainsKey("XDG_STATE_HOME") != true)
        {
            state = new TempDirectory();
            start.Environment["XDG_STATE_HOME"] = state.Path;
        }

        Process process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        return new DaemonProcess(process, state);
    }

    /// <summary>Runs to completion and returns exit code and all output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) => RunWithInputAsync(null, arguments);

    /// <summary>Runs to completion with <paramref name="input"/> on its standard input; the exit code and all output.</summary>
    public static async Task<(int ExitCode, string Output)> RunWithInputAsync(string? input, params string[] arguments)
    {
        await using DaemonProcess process = Start(arguments, input: input);
        await process._process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        process._process.WaitForExit(); // flush the async output readers
        return (process._process.ExitCode, process.Output);
    }

    /// <summary>A port free on 127.0.0.1 for both UDP and TCP right now.</summary>
    public static int FreePort()
    {
        for (int attempt = 0; ; attempt++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            try
            {
                using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
            }
        }
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || stopwatch.Elapsed > timeout)
            {
                throw new AssertFailedException($"'{text}' did not appear; output:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _state?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

namespace MiSinkhole.Tests.Hosting;

/// <summary>On SIGTERM the daemon says that it is stopping, and then that it stopped.</summary>
[TestClass]
public sealed class ShutdownLogTests
{
    [TestMethod]
    public async Task Sigterm_SaysStopping_ThenStopped()
    {
        await using DaemonProcess daemon = DaemonProcess.Start(["--Dns:Listen:0=127.0.0.1:0", "--Http:Listen=none", "--Upstreams:Servers:0=127.0.0.1:9"]);
        await daemon.WaitForOutputAsync("Answering DNS on", TimeSpan.FromSeconds(30));

        Assert.AreEqual(0, NativeSignal.Terminate(daemon.Process.Id));
        await daemon.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        daemon.Process.WaitForExit(); // flush the output readers

        string output = daemon.Output;
        int stopping = output.IndexOf("Stopping: closing the listeners, writing the query log and the device inventory", StringComparison.Ordinal);
        int stopped = output.IndexOf("Stopped after running for 0.00:", StringComparison.Ordinal);
        Assert.AreEqual(0, daemon.Process.ExitCode, output);
        Assert.IsGreaterThanOrEqualTo(0, stopping, output);
        Assert.IsGreaterThan(stopping, stopped, output);
    }
}

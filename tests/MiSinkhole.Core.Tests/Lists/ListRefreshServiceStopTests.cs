using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Lists;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Lists;

/// <summary>
/// A host whose start fails is disposed without being stopped: the refresh service's wait is
/// cancelled then, and that is its end, not a failure (it used to end in an OperationCanceledException
/// that the host logged as a critical error).
/// </summary>
[TestClass]
public sealed class ListRefreshServiceStopTests
{
    [TestMethod]
    public async Task DisposedWithoutStop_EndsQuietly()
    {
        using var dir = new TempDirectory();
        dir.Write("local.txt", "local.example\n");
        SinkholeOptions options = new TestConfig().List("local", "local.txt").Read(dir.Path);
        var engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
        engine.Load(options);
        using var http = new HttpClient();
        var logger = new FakeLogger<ListRefreshService>();
        var service = new ListRefreshService(options, engine, new ListDownloader(http, TimeProvider.System), TimeProvider.System, logger, TestMeters.Factory());
        File.SetLastWriteTimeUtc(Path.Combine(dir.Path, "local.txt"), DateTime.UtcNow.AddMinutes(1)); // the first pass says so

        await service.StartAsync(CancellationToken.None);
        while (!logger.Collector.GetSnapshot().Any(r => r.Message.Contains("changed; reloading", StringComparison.Ordinal)))
        {
            Assert.IsFalse(service.ExecuteTask!.IsCompleted, "the service ended before its first pass");
            await Task.Delay(10); // polling: the first pass runs on the thread pool
        }

        service.Dispose();
        Task running = service.ExecuteTask!;
        await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(10)));

        Assert.AreEqual(TaskStatus.RanToCompletion, running.Status, running.Exception?.ToString());
        Assert.IsEmpty(logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Warning).Select(r => r.Message));
    }
}

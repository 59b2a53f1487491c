using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Devices;

namespace MiSinkhole.Core.Tests.Devices;

[TestClass]
public sealed class BlockingPauseTests
{
    [TestMethod]
    public void DevicePause_EndsByItself_AndTouchesNoOtherDevice()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 20, 0, 0, TimeSpan.Zero));
        var pause = new BlockingPause(time, NullLogger<BlockingPause>.Instance);

        DateTimeOffset end = pause.Pause("Kids-Phone", TimeSpan.FromMinutes(30));

        Assert.AreEqual(time.GetUtcNow().AddMinutes(30), end);
        Assert.IsTrue(pause.IsPaused("kids-phone"));
        Assert.IsFalse(pause.IsPaused("laptop"));
        Assert.IsFalse(pause.IsPaused("unknown"));
        time.Advance(TimeSpan.FromMinutes(29.9));
        Assert.IsTrue(pause.IsPaused("kids-phone"));
        Assert.AreEqual(end, pause.Active["kids-phone"]);
        time.Advance(TimeSpan.FromMinutes(0.1));
        Assert.IsFalse(pause.IsPaused("kids-phone"), "the end is exclusive");
        Assert.IsEmpty(pause.Active);
    }

    [TestMethod]
    public void PauseAll_CoversEveryDeviceAndUnknownClients_AndResumeEndsItEarly()
    {
        var time = new FakeTimeProvider();
        var pause = new BlockingPause(time, NullLogger<BlockingPause>.Instance);
        pause.Pause("tv", TimeSpan.FromHours(2));

        pause.PauseAll(TimeSpan.FromMinutes(10));

        Assert.IsTrue(pause.IsPaused("laptop"));
        Assert.IsTrue(pause.IsPaused("unknown"));
        CollectionAssert.AreEquivalent(new[] { "tv", "*" }, pause.Active.Keys.ToArray());
        pause.Resume(null);
        Assert.IsFalse(pause.IsPaused("laptop"));
        Assert.IsTrue(pause.IsPaused("tv"), "resuming everyone leaves a device's own pause");
        pause.Resume("tv");
        Assert.IsFalse(pause.IsPaused("tv"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => pause.Pause("tv", TimeSpan.FromMinutes(-1)));
    }
}

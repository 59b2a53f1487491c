using MiSinkhole.Core.Discovery;

namespace MiSinkhole.Core.Tests.Discovery;

[TestClass]
public sealed class NameShapeTests
{
    [TestMethod]
    [DataRow("tracking.intl.miui.com", "telemetry")]
    [DataRow("data.mistat.xiaomi.com", "telemetry", DisplayName = "the first label that says, from the left")]
    [DataRow("stat2.pandora.xiaomi.com", "telemetry", DisplayName = "trailing digits")]
    [DataRow("mqs-log.miui.com", "telemetry", DisplayName = "parts of a label")]
    [DataRow("sentry.sec.miui.com", "crash")]
    [DataRow("bugreport.pt.xiaomi.com", "crash")]
    [DataRow("feedback.miui.com", "crash")]
    [DataRow("ad1.xiaomi.com", "ads")]
    [DataRow("adv.sec.miui.com", "ads")]
    [DataRow("ads.mi.com", "ads")]
    [DataRow("update.miui.com", "essential")]
    [DataRow("ota.cdn.pandora.xiaomi.com", "essential")]
    [DataRow("account.xiaomi.com", "essential")]
    [DataRow("register.xmpush.global.xiaomi.com", "essential")]
    [DataRow("api.io.mi.com", null, DisplayName = "nothing in the name says")]
    [DataRow("adobe.mi-img.com", null, DisplayName = "a word that only starts like one")]
    [DataRow("MISTAT.Xiaomi.COM.", "telemetry", DisplayName = "case and a trailing dot")]
    public void Suggest_ReadsTheLabels(string name, string? expected)
    {
        Assert.AreEqual(expected, NameShape.Suggest(name));
    }
}

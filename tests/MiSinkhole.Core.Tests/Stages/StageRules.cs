using MiSinkhole.Core.Configuration;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages;

/// <summary>The rules the stage tests decide with: a telemetry list, an essential (allow) list, and the policies over them.</summary>
internal static class StageRules
{
    public static ConfigSnapshot Compile(TempDirectory dir)
    {
        dir.Write("telemetry.txt", "tracking.miui.com\ncdn.tracker.example\n");
        dir.Write("essential.txt", "update.tracking.miui.com\n");
        return ActiveConfig.Compile(new TestConfig()
            .List("telemetry", "telemetry.txt")
            .List("essential", "essential.txt")
            .Policy("strict", block: ["telemetry"], allow: ["essential"])
            .Policy("observe", log: ["telemetry"], allow: ["essential"])
            .DefaultPolicy("strict")
            .Read(dir.Path)).Snapshot;
    }
}

namespace MiSinkhole.TestKit;

/// <summary>
/// A household's config file, written as a user would (comments, their own layout), for tests
/// that change it through the API: the living-room TV (127.0.0.2) on <c>observe</c>, the rest
/// unknown on <c>strict</c>; <c>tracking.miui.com</c> is telemetry; <c>miui.com</c> and
/// <c>xiaomi.com</c> are Xiaomi's zones (so other names under them are unclassified); the
/// <c>local-*</c> lists of review decisions under <c>rules/local/</c>.
/// </summary>
public sealed class HouseholdConfig : IDisposable
{
    public const string Tv = "living-room-tv";

    /// <summary>The one comment a test checks survives every change.</summary>
    public const string Comment = "// the TV in the living room: watch it first";

    public HouseholdConfig(string upstream)
    {
        Directory.Write("telemetry.txt", "tracking.miui.com\n");
        Directory.Write("zones.txt", "xiaomi.com\nmiui.com\n");
        File = Directory.Write("misinkhole.json", $$"""
            {
              "Dns": { "Listen": [ "127.0.0.1:0" ] },
              "Upstreams": { "Servers": [ "{{upstream}}" ] },
              "Lists": {
                "xiaomi-telemetry": { "Sources": [ "telemetry.txt" ] },
                "xiaomi-zones": { "Sources": [ "zones.txt" ] },
                "local-telemetry": { "Sources": [ "rules/local/telemetry.txt" ], "Optional": true },
                "local-allow": { "Sources": [ "rules/local/allow.txt" ], "Optional": true },
                "local-known": { "Sources": [ "rules/local/known.txt" ], "Optional": true }
              },
              "Discovery": { "Zones": [ "xiaomi-zones" ] },
              "Policies": {
                "strict": { "Block": [ "xiaomi-telemetry", "local-telemetry" ], "Allow": [ "local-allow" ] },
                "max": { "Block": [ "xiaomi-telemetry", "local-telemetry" ] },
                "observe": { "Log": [ "xiaomi-telemetry", "local-telemetry" ], "Allow": [ "local-allow" ] }
              },
              "DefaultPolicy": "strict",
              "Devices": {
                {{Comment}}
                "{{Tv}}": { "Match": [ "127.0.0.2" ], "Policy": "observe" },
              },
              "QueryLog": { "FlushInterval": "100ms" }
            }
            """);
    }

    public TempDirectory Directory { get; } = new();

    /// <summary>The config file.</summary>
    public string File { get; }

    public string Text => System.IO.File.ReadAllText(File);

    /// <summary>Starts a daemon on the file, as <c>misinkhole run --config FILE</c>.</summary>
    public Task<RunningDaemon> StartAsync(params string[] overrides) => RunningDaemon.StartFromFileAsync(File, overrides);

    public void Dispose() => Directory.Dispose();
}

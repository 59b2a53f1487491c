using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Unclassified Xiaomi names through the running daemon: names under Xiaomi's zones that no list
/// decides, per device in the inventory and /api/unclassified, in the metrics (no name as a
/// label), and in the query log with PolicyMatches.
/// </summary>
[TestClass]
public sealed class DiscoveryTests
{
    private static Task<RunningDaemon> StartAsync(FakeUpstream upstream, string dataDirectory) =>
        RunningDaemon.StartAsync(
            new TestConfig()
                .Upstream(upstream.Address)
                .List("xiaomi-telemetry", "telemetry.txt")
                .List("xiaomi-essential", "essential.txt")
                .List("xiaomi-extended", "extended.txt")
                .List("xiaomi-zones", "zones.txt")
                .Set("Discovery:Zones:0", "xiaomi-zones")
                .Policy("strict", block: ["xiaomi-telemetry"], allow: ["xiaomi-essential"])
                .DefaultPolicy("strict")
                .Device("phone", null, "127.0.0.2")
                .Device("laptop", null, "127.0.0.3")
                .Set("DataDirectory", dataDirectory)
                .Values,
            new Dictionary<string, string>
            {
                ["telemetry.txt"] = "mistat.xiaomi.com\n",
                ["essential.txt"] = "update.miui.com\n",
                ["extended.txt"] = "|wtradv.market.xiaomi.com^\n",
                ["zones.txt"] = "xiaomi.com\nmiui.com\n",
            });

    /// <summary>The phone asks for a new name twice, and for names the lists know; the laptop for other names.</summary>
    private static async Task TrafficAsync(RunningDaemon daemon)
    {
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "stats.new.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "update.miui.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "wtradv.market.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "Stats.New.Xiaomi.com", "AAAA");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "example.org", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "update.miui.com", "A");
    }

    [TestMethod]
    public async Task AnUnknownNameUnderAZone_IsListedForTheDeviceThatAsked_WithFirstLastAndCount_AndCounted()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data.Path);
        using var queries = new MetricCollector<long>(daemon.Get<IMeterFactory>(), "MiSinkhole", "misinkhole.unclassified.queries");
        using var names = new MetricCollector<long>(daemon.Get<IMeterFactory>(), "MiSinkhole", "misinkhole.unclassified.names");
        DateTimeOffset before = DateTimeOffset.UtcNow;
        await TrafficAsync(daemon);
        using HttpClient http = daemon.ApiClient();

        JsonElement all = await http.GetFromJsonAsync<JsonElement>("/api/unclassified");
        JsonElement phone = await http.GetFromJsonAsync<JsonElement>("/api/unclassified?device=phone");
        JsonElement laptop = await http.GetFromJsonAsync<JsonElement>("/api/unclassified?device=laptop");
        JsonElement explained = await http.GetFromJsonAsync<JsonElement>("/api/explain?name=stats.new.xiaomi.com&device=phone");
        JsonElement known = await http.GetFromJsonAsync<JsonElement>("/api/explain?name=wtradv.market.xiaomi.com&device=phone");
        queries.RecordObservableInstruments();
        names.RecordObservableInstruments();

        JsonElement name = all.GetProperty("names").EnumerateArray().Single();
        Assert.AreEqual("stats.new.xiaomi.com", name.GetProperty("name").GetString(), "telemetry, essential and extended names are classified");
        Assert.AreEqual(("xiaomi.com", "xiaomi-zones", "telemetry", 2), (name.GetProperty("zone").GetString(), name.GetProperty("list").GetString(), name.GetProperty("suggested").GetString(), name.GetProperty("count").GetInt32()));
        JsonElement client = name.GetProperty("clients").EnumerateArray().Single();
        Assert.AreEqual(("phone", "phone", 2), (client.GetProperty("client").GetString(), client.GetProperty("device").GetString(), client.GetProperty("count").GetInt32()));
        DateTimeOffset first = client.GetProperty("firstSeen").GetDateTimeOffset();
        DateTimeOffset last = client.GetProperty("lastSeen").GetDateTimeOffset();
        Assert.IsGreaterThanOrEqualTo(before.AddSeconds(-1), first);
        Assert.IsGreaterThanOrEqualTo(first, last);
        Assert.AreEqual(1, phone.GetProperty("names").GetArrayLength());
        Assert.AreEqual(0, laptop.GetProperty("names").GetArrayLength(), "the laptop never asked for it");
        Assert.AreEqual("stats.new.xiaomi.com", daemon.Get<MiSinkhole.Core.Inventory.DeviceInventory>().Find("phone")!.Unclassified.Single().Name);
        Assert.AreEqual("xiaomi-zones", explained.GetProperty("unclassifiedUnder").GetString(), "explain says so");
        Assert.AreEqual(JsonValueKind.Null, known.GetProperty("unclassifiedUnder").ValueKind);
        CollectionAssert.AreEqual(new[] { "phone=2" }, queries.GetMeasurementSnapshot().Select(m => $"{m.Tags["device"]}={m.Value}").ToArray());
        CollectionAssert.AreEqual(new[] { "phone=1" }, names.GetMeasurementSnapshot().Select(m => $"{m.Tags["device"]}={m.Value}").ToArray());
        Assert.IsTrue(queries.GetMeasurementSnapshot().All(m => m.Tags.Keys.SequenceEqual(["device"])), "the device is the only label: never the name");
    }

    [TestMethod]
    public async Task TheQueryLog_WithPolicyMatches_KeepsUnclassifiedNames_AndTheApiFiltersThem()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await StartAsync(upstream, data.Path);
        await TrafficAsync(daemon);
        daemon.Get<QueryLogWriter>().Flush();
        using HttpClient http = daemon.ApiClient();

        JsonElement unclassified = await http.GetFromJsonAsync<JsonElement>("/api/querylog?action=unclassified");
        JsonElement everything = await http.GetFromJsonAsync<JsonElement>("/api/querylog");

        string[] rows = [.. unclassified.GetProperty("items").EnumerateArray().Select(r =>
            $"{r.GetProperty("device").GetString()} {r.GetProperty("name").GetString()} {r.GetProperty("type").GetString()} {r.GetProperty("action").GetString()} {r.GetProperty("list").GetString()} {r.GetProperty("rule").GetString()}")];
        CollectionAssert.AreEqual(
            new[] { "phone stats.new.xiaomi.com AAAA unclassified xiaomi-zones xiaomi.com", "phone stats.new.xiaomi.com A unclassified xiaomi-zones xiaomi.com" }, rows);
        string[] kept = [.. everything.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("name").GetString()!)];
        CollectionAssert.DoesNotContain(kept, "example.org", "PolicyMatches still keeps only what a list decided, and the unclassified names");
        CollectionAssert.DoesNotContain(kept, "wtradv.market.xiaomi.com", "a name on a list of no policy of the device is neither decided nor unclassified");
        Assert.AreEqual(5, kept.Length, "blocked, two allowed, two unclassified");
    }

    [TestMethod]
    public async Task UnclassifiedNames_SurviveARestart()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using (RunningDaemon first = await StartAsync(upstream, data.Path))
        {
            await TrafficAsync(first);
        }

        await using RunningDaemon second = await StartAsync(upstream, data.Path);
        await Dig.RunAsync(second.EndPoint, "-b", "127.0.0.2", "stats.new.xiaomi.com", "A");
        using HttpClient http = second.ApiClient();
        JsonElement name = (await http.GetFromJsonAsync<JsonElement>("/api/unclassified")).GetProperty("names").EnumerateArray().Single();

        Assert.AreEqual(("stats.new.xiaomi.com", 3), (name.GetProperty("name").GetString(), name.GetProperty("count").GetInt32()), "two before the restart, one after");
    }

    [TestMethod]
    public async Task CheckConfig_BadDiscoveryKeys_NameTheFileLineAndKey()
    {
        using var dir = new TempDirectory();
        dir.Write("zones.txt", "xiaomi.com\n");
        string file = dir.Write("bad.json", """
            {
              "Lists": { "xiaomi-zones": { "Sources": [ "zones.txt" ] } },
              "Discovery": {
                "Zones": [ "xiaomi-zones", "xiaomi-zone" ],
                "Enabeld": true
              },
              "Policies": { "strict": { "Block": [ "xiaomi-zones" ] } }
            }
            """);

        (int exitCode, string output) = await DaemonProcess.RunAsync("check-config", "--config", file);

        Assert.AreEqual(1, exitCode, output);
        StringAssert.Contains(output, $"{file}:4: Discovery:Zones:1: no list named 'xiaomi-zone' (have: xiaomi-zones)");
        StringAssert.Contains(output, $"{file}:5: Discovery:Enabeld: unknown key (known: Zones, Enabled)");
        StringAssert.Contains(output, $"{file}:7: Policies:strict:Block:0: 'xiaomi-zones' is a list of Xiaomi's zones (Discovery:Zones): it finds unclassified names and never blocks");
    }
}

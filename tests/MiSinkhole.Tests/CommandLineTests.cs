using System.Diagnostics;
using System.Net;
using MiSinkhole.Hosting;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>The executable as users run it: verbs, config files, environment and command-line overrides, signals.</summary>
[TestClass]
public sealed class CommandLineTests
{
    [TestMethod]
    public async Task CheckConfig_ProductionConfig_IsValid()
    {
        (int exitCode, string output) = await DaemonProcess.RunAsync("check-config", "--config", RepositoryPaths.File("config", "misinkhole.json"));

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "OK");
        StringAssert.Contains(output, "16 lists");
    }

    [TestMethod]
    public async Task FamilyExample_IsValid_AndExplainsPerDevice()
    {
        string family = RepositoryPaths.File("config", "examples", "family.json");
        (int exitCode, string output) = await DaemonProcess.RunAsync("check-config", "--config", family);
        (_, string newPhone) = await DaemonProcess.RunAsync("explain", "data.mistat.xiaomi.com", "--config", family, "-d", "new-phone");
        (_, string dad) = await DaemonProcess.RunAsync("explain", "data.mistat.xiaomi.com", "--config", family, "-d", "a4:50:46:12:34:56");
        (_, string laptop) = await DaemonProcess.RunAsync("explain", "data.mistat.xiaomi.com", "--config", family, "-d", "192.168.1.20");
        (_, string guest) = await DaemonProcess.RunAsync("explain", "data.mistat.xiaomi.com", "--config", family, "-d", "192.168.1.200");

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "5 lists");
        StringAssert.Contains(output, "5 policies, 5 devices, default policy 'observe'");
        StringAssert.Contains(output, "OK");
        StringAssert.Contains(newPhone, "logged as would-block by list 'xiaomi-telemetry' (device 'new-phone', policy 'observe')");
        StringAssert.Contains(dad, "blocked by list 'xiaomi-telemetry' (device 'dad-redmi-note', policy 'strict')");
        StringAssert.Contains(laptop, "not on any list of the policy: forwarded (device 'mum-laptop', policy 'open')");
        StringAssert.Contains(guest, "(device 'unknown', policy 'observe')");
    }

    [TestMethod]
    public async Task CheckConfig_BadConfig_NamesFileLineAndKey_AndExitsOne()
    {
        using var dir = new TempDirectory();
        dir.Write("rules.txt", "good.example\nbad!name\n");
        string file = dir.Write("bad.json", """
            {
              "Dns": {
                "Listen": [ "127.0.0.1:5300", "nonsense" ]
              },
              "Lists": { "mine": { "Sources": [ "rules.txt" ] } },
              "Policies": { "p": { "Block": [ "mine", "missing" ] } },
              "DefaultPolicy": "p"
            }
            """);

        (int exitCode, string output) = await DaemonProcess.RunAsync("check-config", "--config", file);

        Assert.AreEqual(1, exitCode, output);
        StringAssert.Contains(output, $"{file}:3: Dns:Listen:1: 'nonsense' is not an address");
        StringAssert.Contains(output, $"{file}:6: Policies:p:Block:1: no list named 'missing'");
    }

    [TestMethod]
    public async Task CheckConfig_BadListLine_IsReportedWithFileAndLine()
    {
        using var dir = new TempDirectory();
        string rules = dir.Write("rules.txt", "good.example\nbad!name\n");
        string file = dir.Write("ok.json", """{ "Lists": { "mine": { "Sources": [ "rules.txt" ] } } }""");

        (int exitCode, string output) = await DaemonProcess.RunAsync("check-config", "--config", file);

        Assert.AreEqual(1, exitCode, output);
        StringAssert.Contains(output, $"{rules}:2: invalid character '!' in name");
    }

    [TestMethod]
    public async Task Explain_PrintsVerdictListAndSourceLine_PerDevice_AndRejectsUnknownDevices()
    {
        string[] device = ["--Devices:new-phone:Match:0=192.168.1.23", "--Devices:new-phone:Policy=observe"];
        (int exitCode, string output) = await DaemonProcess.RunAsync("explain", "data.mistat.xiaomi.com");
        (int phoneExit, string phoneOutput) = await DaemonProcess.RunAsync(["explain", "data.mistat.xiaomi.com", "--device", "new-phone", .. device]);
        (int addressExit, string addressOutput) = await DaemonProcess.RunAsync(["explain", "data.mistat.xiaomi.com", "-d", "192.168.1.23", .. device]);
        (int unknownExit, string unknownOutput) = await DaemonProcess.RunAsync(["explain", "data.mistat.xiaomi.com", "--device", "kids-phone", .. device]);

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "data.mistat.xiaomi.com A: blocked by list 'xiaomi-telemetry' (device 'unknown', policy 'strict')");
        StringAssert.Contains(output, "telemetry.txt:");
        StringAssert.Contains(output, "mistat.xiaomi.com");
        Assert.AreEqual(0, phoneExit, phoneOutput);
        StringAssert.Contains(phoneOutput, "data.mistat.xiaomi.com A: answered, and logged as would-block by list 'xiaomi-telemetry' (device 'new-phone', policy 'observe')");
        Assert.AreEqual(phoneOutput, addressOutput);
        Assert.AreEqual(0, addressExit);
        Assert.AreEqual(1, unknownExit);
        StringAssert.Contains(unknownOutput, "unknown device 'kids-phone' (have: new-phone");
    }

    [TestMethod]
    public async Task Run_InvalidConfig_RefusesToStart()
    {
        (int exitCode, string output) = await DaemonProcess.RunAsync("run", "--Dns:Listen:0=not-an-address");

        Assert.AreEqual(1, exitCode, output);
        StringAssert.Contains(output, "Dns:Listen:0");
        StringAssert.Contains(output, "not starting");
    }

    [TestMethod]
    public async Task Run_EmbeddedDefaultConfig_BlocksBundledTelemetry_ForwardsTheRest_AndStopsOnSigterm()
    {
        await using var upstream = new FakeUpstream();
        int port = DaemonProcess.FreePort();
        int httpPort = DaemonProcess.FreePort();
        // The README's first command, with the upstream and port swapped for local ones:
        // one override on the command line, one through the environment.
        await using DaemonProcess daemon = DaemonProcess.Start(
            ["--Upstreams:Servers:0=" + upstream.Address, "--Upstreams:Servers:1=" + upstream.Address],
            new Dictionary<string, string> { ["MISINKHOLE__Dns__Listen__0"] = $"127.0.0.1:{port}", ["MISINKHOLE__Http__Listen"] = $"127.0.0.1:{httpPort}" });
        await daemon.WaitForOutputAsync("Serving HTTP on", TimeSpan.FromSeconds(30));
        var server = new IPEndPoint(IPAddress.Loopback, port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        string ready = await http.GetStringAsync(new Uri("/readyz", UriKind.Relative));
        string healthy = await http.GetStringAsync(new Uri("/healthz", UriKind.Relative));

        DigResult blocked = await Dig.RunAsync(server, "data.mistat.xiaomi.com", "A");
        DigResult essential = await Dig.RunAsync(server, "update.miui.com", "A");
        DigResult other = await Dig.RunAsync(server, "+tcp", "example.org", "A");

        Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", blocked.Answers.Single(), blocked.Output + daemon.Output);
        Assert.AreEqual("update.miui.com. 300 IN A 192.0.2.1", essential.Answers.Single(), "essential names are allowed");
        Assert.AreEqual("example.org. 300 IN A 192.0.2.1", other.Answers.Single());
        Assert.AreEqual("ready\n", ready);
        Assert.AreEqual("ok\n", healthy);

        string[] target = [$"--Dns:Listen:0=127.0.0.1:{port}", $"--Http:Listen=127.0.0.1:{httpPort}"];
        (int healthyExit, string healthy2) = await DaemonProcess.RunAsync(["health", .. target]);

        var stopwatch = Stopwatch.StartNew();
        Assert.AreEqual(0, NativeSignal.Terminate(daemon.Process.Id));
        await daemon.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        TimeSpan shutdown = stopwatch.Elapsed;
        (int goneExit, string gone) = await DaemonProcess.RunAsync(["health", .. target]);
        Assert.AreEqual(0, healthyExit, healthy2);
        StringAssert.Contains(healthy2, $"healthy: dns 127.0.0.1:{port}: ok; http: ok (ready)");
        Assert.AreEqual(1, goneExit, gone);
        StringAssert.Contains(gone, "unhealthy: dns");
        Assert.AreEqual(0, daemon.Process.ExitCode, daemon.Output);
        Assert.IsLessThan(TimeSpan.FromSeconds(5), shutdown);
    }

    [TestMethod]
    public async Task Run_PortInUse_FailsWithAClearMessage()
    {
        await using var upstream = new FakeUpstream();
        (int exitCode, string output) = await DaemonProcess.RunAsync($"--Dns:Listen:0={upstream.Address}", "--Http:Listen=none");
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        (int httpExit, string httpOutput) = await DaemonProcess.RunAsync("--Dns:Listen:0=127.0.0.1:0", $"--Http:Listen={taken.LocalEndpoint}");

        Assert.AreNotEqual(0, exitCode);
        StringAssert.Contains(output, "cannot listen");
        Assert.AreEqual(2, httpExit, httpOutput);
        StringAssert.Contains(httpOutput, "cannot listen", "a taken HTTP port is as clear as a taken DNS port");
    }

    [TestMethod]
    public void JsonKeyLocator_FindsNestedKeysAndArrayElements()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("c.json", "{\n  // comment\n  \"Dns\": {\n    \"Listen\": [\n      \"a\",\n      \"b\"\n    ]\n  },\n  \"Lists\": { \"x\": { \"Sources\": [ \"s\" ] } }\n}\n");

        Assert.AreEqual(3, JsonKeyLocator.FindLine(file, "Dns"));
        Assert.AreEqual(6, JsonKeyLocator.FindLine(file, "Dns:Listen:1"));
        Assert.AreEqual(9, JsonKeyLocator.FindLine(file, "Lists:x:Sources:0"));
        Assert.IsNull(JsonKeyLocator.FindLine(file, "Cache:MaxEntries"));
    }

    [TestMethod]
    public async Task Explain_ShowsWhatAnExtendedRuleBreaks_AndItsEvidence()
    {
        (int exitCode, string output) = await DaemonProcess.RunAsync(
            "explain", "wtradv.market.xiaomi.com", "--config", RepositoryPaths.File("config", "misinkhole.json"), "--DefaultPolicy=max");

        Assert.AreEqual(0, exitCode, output);
        StringAssert.Contains(output, "blocked by list 'xiaomi-extended'");
        StringAssert.Contains(output, "breaks: the Weather app's advice section");
        StringAssert.Contains(output, "evidence: issue-thread https://github.com/privacy-protection-tools/anti-AD/issues/377");
    }
}

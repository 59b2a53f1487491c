using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// No Docker engine runs here, so this proves what it can of the Dockerfile: its own publish
/// line, run for linux-x64 and linux-arm64, builds a daemon that answers DNS, natively and
/// (arm64) under qemu user-mode emulation; and the runtime stage has the promised shape.
/// </summary>
[TestClass]
public sealed partial class DockerfileTests
{
    private static readonly string Dockerfile = File.ReadAllText(RepositoryPaths.File("Dockerfile"));

    /// <summary>What the Dockerfile's build case gives amd64 and arm64.</summary>
    private const string NativeBuild = "-p:PublishAot=true";

    private const string BuildFlags = "arm) echo \"--self-contained true -p:PublishTrimmed=true\" ;; *) echo \"" + NativeBuild + "\"";

    [TestMethod]
    public void RuntimeStage_IsNonRoot_WithVolumesPortsAndAHealthCheck()
    {
        StringAssert.Contains(Dockerfile, "USER app");
        StringAssert.Contains(Dockerfile, "setcap cap_net_bind_service=+ep /app/misinkhole");
        StringAssert.Contains(Dockerfile, "VOLUME [\"/config\", \"/data\"]");
        StringAssert.Contains(Dockerfile, "EXPOSE 53/udp 53/tcp 9153/tcp");
        StringAssert.Matches(Dockerfile, HealthCheck());
        StringAssert.Contains(Dockerfile, "amd64) echo linux-x64 ;; arm64) echo linux-arm64 ;; arm) echo linux-arm");
        StringAssert.Contains(Dockerfile, BuildFlags, "native for amd64 and arm64, trimmed for arm (which native compilation does not target)");
    }

    /// <summary>The user's review decisions (rules/local/) are never shipped, so an upgrade cannot replace them, and the image's user can write them.</summary>
    [TestMethod]
    public void LocalDecisions_AreNeverShipped_AndTheImageLeavesTheirFolderWritable()
    {
        string[] dockerIgnored = File.ReadAllLines(RepositoryPaths.File(".dockerignore"));
        string[] gitIgnored = File.ReadAllLines(RepositoryPaths.File(".gitignore"));
        string project = File.ReadAllText(RepositoryPaths.File("src", "MiSinkhole", "MiSinkhole.csproj"));

        CollectionAssert.Contains(dockerIgnored, "config/rules/local", "not copied into the image, so not into a new /config volume either");
        CollectionAssert.Contains(gitIgnored, "config/rules/local/", "a git pull never touches them");
        StringAssert.Contains(project, "Exclude=\"..\\..\\config\\rules\\local\\**\"", "the build never copies them next to the program");
        StringAssert.Matches(Dockerfile, LocalFolder(), "created empty for docker exec … misinkhole review, as the app user");
        Assert.IsLessThan(Dockerfile.IndexOf("USER app", StringComparison.Ordinal), LocalFolder().Match(Dockerfile).Index);
        Assert.IsFalse(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "rules", "local")));
    }

    [TestMethod]
    [DataRow("docker-compose.yml")]
    [DataRow("docker-compose.two.yml")]
    public void ComposeFile_MountsFilesThatExist_AndBuildsThisDockerfile(string file)
    {
        string compose = File.ReadAllText(RepositoryPaths.File("config", file));
        string[] mounts = [.. ComposeMount().Matches(compose).Select(m => m.Groups[1].Value)];

        Assert.IsGreaterThan(1, mounts.Length);
        foreach (string mount in mounts)
        {
            string path = Path.Combine(RepositoryPaths.File("config"), mount);
            Assert.IsTrue(File.Exists(path) || Directory.Exists(path), mount);
        }

        StringAssert.Contains(compose, "build: ..");
        StringAssert.Contains(compose, "cap_add: [NET_BIND_SERVICE]");
        StringAssert.Contains(File.ReadAllText(RepositoryPaths.File("config", "grafana", "provisioning", "dashboards", "misinkhole.yml")), "/var/lib/grafana/dashboards");
    }

    [TestMethod]
    [DataRow("linux-x64")]
    [DataRow("linux-arm64")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task PublishLine_BuildsADaemonThatAnswers(string rid)
    {
        bool native = rid == "linux-x64";
        if (!native && !(File.Exists("/usr/bin/qemu-aarch64-static") && Directory.Exists("/usr/aarch64-linux-gnu")))
        {
            Assert.Inconclusive("qemu-user-static and the arm64 cross libraries are not installed (.ci/run installs them)");
        }

        using var output = new TempDirectory();
        string line = PublishLine().Match(Dockerfile).Groups[1].Value;
        string command = line.Replace("$(cat /tmp/rid)", rid, StringComparison.Ordinal).Replace("$(cat /tmp/build)", NativeBuild, StringComparison.Ordinal)
            .Replace("-o /app", $"-o {output.Path}", StringComparison.Ordinal);
        (int exit, string log) = await RunAsync("bash", "-c", command);
        Assert.AreEqual(0, exit, $"{command}\n{log}");

        int port = DaemonProcess.FreePort();
        int httpPort = DaemonProcess.FreePort();
        string program = Path.Combine(output.Path, "misinkhole");
        var start = native ? new ProcessStartInfo(program) : new ProcessStartInfo("qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", program]);
        // Natively the daemon makes its API token; under qemu it is given one, since making one takes
        // OpenSSL's random numbers and there is no arm64 OpenSSL here (see the forwarded query below).
        string[] token = native ? [] : ["--Http:ApiToken=arm64-build-under-qemu-token"];
        foreach (string argument in (string[])["run", $"--Dns:Listen:0=127.0.0.1:{port}", $"--Http:Listen=127.0.0.1:{httpPort}", "--Upstreams:Servers:0=127.0.0.1:9", $"--DataDirectory={output.Path}", .. token])
        {
            start.ArgumentList.Add(argument);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using Process daemon = Process.Start(start)!;
        daemon.OutputDataReceived += (_, _) => { };
        daemon.ErrorDataReceived += (_, _) => { };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        try
        {
            DigResult? answer = null;
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromSeconds(60) && answer?.Answers.Count is null or 0)
            {
                await Task.Delay(500);
                answer = await Dig.RunAsync(new IPEndPoint(IPAddress.Loopback, port), "+time=1", "+tries=1", "data.mistat.xiaomi.com", "A");
            }

            Assert.AreEqual("data.mistat.xiaomi.com. 60 IN A 0.0.0.0", answer?.Answers.SingleOrDefault(), $"{rid} build answered: {answer?.Output}");

            // The build is compiled ahead of time (and trimmed): what uses JSON or reflection must still work.
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
            while (waited.Elapsed < TimeSpan.FromSeconds(90) && !await IsReadyAsync(http))
            {
                await Task.Delay(500); // Kestrel starts after the DNS listeners, slowly under emulation
            }

            // The native build made its API token in DataDirectory, owner-only.
            string tokenFile = Path.Combine(output.Path, "api-token");
            if (native)
            {
                Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
            }

            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", native ? File.ReadAllText(tokenFile).Trim() : token[0].Split('=')[1]);

            // An unclassified Xiaomi name (the quick start has Xiaomi's zones); the upstream never answers: SERVFAIL, recorded all
            // the same. Natively only: a forwarded query needs OpenSSL (random query IDs), which has no arm64 build here under qemu.
            if (native)
            {
                await Dig.RunAsync(new IPEndPoint(IPAddress.Loopback, port), "+time=10", "+tries=1", "trimmed-build.xiaomi.com", "A");
                StringAssert.Contains(await http.GetStringAsync(new Uri("/api/unclassified", UriKind.Relative)), "\"name\":\"trimmed-build.xiaomi.com\",\"zone\":\"xiaomi.com\"");
            }

            string devices = await http.GetStringAsync(new Uri("/api/devices", UriKind.Relative));
            string explain = await http.GetStringAsync(new Uri("/api/explain?name=data.mistat.xiaomi.com", UriKind.Relative));
            string metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            StringAssert.Contains(devices, "\"key\":\"127.0.0.1\"");
            StringAssert.Contains(explain, "\"action\":\"blocked\"");
            StringAssert.Contains(metrics, "misinkhole_policy_matches_total{");

            // The query log (SQLite through its native library) has the blocked query: written within a second or so.
            string rows = "";
            while (waited.Elapsed < TimeSpan.FromSeconds(120) && !rows.Contains("\"name\":\"data.mistat.xiaomi.com\"", StringComparison.Ordinal))
            {
                await Task.Delay(500);
                rows = await http.GetStringAsync(new Uri("/api/querylog?name=data.mistat.xiaomi.com", UriKind.Relative));
            }

            StringAssert.Contains(rows, "\"action\":\"blocked\"", $"{rid} build's query log: {rows}");
            Assert.IsFalse(File.Exists(Path.Combine(output.Path, "misinkhole.dbg")), "the image ships no debug symbols");
        }
        finally
        {
            daemon.Kill();
            await daemon.WaitForExitAsync();
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"- \./([^:]+):")]
    private static partial Regex ComposeMount();

    [GeneratedRegex(@"^RUN (dotnet publish .+)$", RegexOptions.Multiline)]
    private static partial Regex PublishLine();

    [GeneratedRegex(@"^RUN mkdir -p [^\n]*/config/rules/local && chown app:app [^\n]*/config/rules/local$", RegexOptions.Multiline)]
    private static partial Regex LocalFolder();

    [GeneratedRegex(@"HEALTHCHECK .*CMD \[""/app/misinkhole"", ""health""")]
    private static partial Regex HealthCheck();
}

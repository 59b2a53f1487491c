using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Lists;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Lists;

/// <summary>URL sources against a real HTTP server on 127.0.0.1, and local file reloads.</summary>
[TestClass]
public sealed class ListRefreshTests
{
    private sealed class Fixture : IDisposable
    {
        public Fixture(FakeListServer server, bool enabled = true)
        {
            Directory = new TempDirectory();
            Directory.Write("local.txt", "local.example\n");
            (Options, IReadOnlyList<ConfigError> problems) = new TestConfig()
                .HttpList("remote", server.Url)
                .Set("Lists:remote:RefreshInterval", "24h")
                .Set("Lists:remote:Enabled", enabled ? "true" : "false")
                .List("local", "local.txt")
                .ReadWithProblems(Directory.Path);
            Assert.IsEmpty(problems);
            Engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
            Engine.Load(Options);
            Service = new ListRefreshService(Options, Engine, new ListDownloader(Http, Time), Time, NullLogger<ListRefreshService>.Instance, TestMeters.Factory());
        }

        public TempDirectory Directory { get; }

        public SinkholeOptions Options { get; }

        public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        public HttpClient Http { get; } = new();

        public ActiveConfig Engine { get; }

        public ListRefreshService Service { get; }

        public string Cache => Options.Lists.Single(l => l.Name == "remote").Subscriptions[0].CachePath;

        public bool Blocks(string name) => Engine.Current.Rules.Match(name).IsMatch;

        public void Dispose()
        {
            Http.Dispose();
            Directory.Dispose();
        }
    }

    [TestMethod]
    public async Task Download_IsCachedUnderDataLists_AndApplied_ThenRevalidatedWithItsETag()
    {
        using var server = new FakeListServer { Body = "||ads.example^\n0.0.0.0 more.example\n", ETag = "\"v1\"" };
        using var fixture = new Fixture(server);
        Assert.IsFalse(fixture.Blocks("ads.example"), "nothing cached yet");

        Assert.IsTrue(await fixture.Service.RefreshAsync(force: false, CancellationToken.None));
        Assert.IsTrue(fixture.Blocks("x.ads.example"));
        Assert.IsTrue(fixture.Blocks("more.example"));
        StringAssert.StartsWith(fixture.Cache, Path.Combine(fixture.Directory.Path, "data", "lists"));
        Assert.IsTrue(File.Exists(fixture.Cache));

        Assert.IsFalse(await fixture.Service.RefreshAsync(force: false, CancellationToken.None), "not due yet");
        fixture.Time.Advance(TimeSpan.FromHours(25));
        Assert.IsFalse(await fixture.Service.RefreshAsync(force: false, CancellationToken.None), "304: nothing changed");
        CollectionAssert.AreEqual(new[] { "", "\"v1\"" }, server.Requests.ToArray());
        Assert.IsTrue(fixture.Blocks("ads.example"));
    }

    [TestMethod]
    [DataRow(500, "text/plain", "||ads.example^\n", "HTTP 500")]
    [DataRow(200, "text/html", "<html><body>captive portal</body></html>", "HTML")]
    [DataRow(200, "text/plain", "<!DOCTYPE html><html></html>", "HTML")]
    [DataRow(200, "text/plain", "", "empty")]
    [DataRow(200, "text/plain", "junk line 1\njunk line 2\njunk line 3\njunk line 4\njunk line 5\njunk line 6\njunk line 7\njunk line 8\njunk line 9\n||fine.example^\n", "90% unparsable")]
    public async Task BadDownload_KeepsTheLastGoodCopy_AndIsCounted(int status, string contentType, string body, string reason)
    {
        using var server = new FakeListServer { Body = "||ads.example^\n" };
        using var fixture = new Fixture(server);
        await fixture.Service.RefreshAsync(force: true, CancellationToken.None);
        string good = File.ReadAllText(fixture.Cache);

        server.Status = status;
        server.ContentType = contentType;
        server.Body = body;
        bool reloaded = await fixture.Service.RefreshAsync(force: true, CancellationToken.None);

        Assert.IsFalse(reloaded, reason);
        Assert.AreEqual(1, fixture.Service.FailedDownloads, reason);
        Assert.AreEqual(good, File.ReadAllText(fixture.Cache));
        Assert.IsTrue(fixture.Blocks("ads.example"), "still served from the last good copy");
    }

    [TestMethod]
    public async Task Restart_ServesTheCachedCopyAtOnce_EvenWithTheServerGone()
    {
        string cacheDirectory;
        using (var server = new FakeListServer { Body = "||ads.example^\n" })
        using (var first = new Fixture(server))
        {
            await first.Service.RefreshAsync(force: false, CancellationToken.None);
            cacheDirectory = first.Directory.Path;

            // A second daemon over the same folder, the server stopped: rules come from disk.
            server.Dispose();
            SinkholeOptions options = new TestConfig().HttpList("remote", server.Url).Read(cacheDirectory);
            var engine = new ActiveConfig(NullLogger<ActiveConfig>.Instance, TestMeters.Factory());
            engine.Load(options);

            Assert.IsTrue(engine.Current.Rules.Match("ads.example").IsMatch);
        }
    }

    [TestMethod]
    public async Task LocalFileChange_Reloads_AndDisabledListsAreNotDownloaded()
    {
        using var server = new FakeListServer { Body = "||ads.example^\n" };
        using var fixture = new Fixture(server, enabled: false);
        Assert.IsTrue(fixture.Blocks("local.example"));

        string local = Path.Combine(fixture.Directory.Path, "local.txt");
        File.WriteAllText(local, "other.example\n");
        File.SetLastWriteTimeUtc(local, DateTime.UtcNow.AddMinutes(1));
        bool reloaded = await fixture.Service.RefreshAsync(force: false, CancellationToken.None);

        Assert.IsTrue(reloaded);
        Assert.IsTrue(fixture.Blocks("other.example"));
        Assert.IsFalse(fixture.Blocks("local.example"));
        Assert.IsEmpty(server.Requests, "a disabled list is never downloaded");
        Assert.IsFalse(fixture.Blocks("ads.example"));
    }

    [TestMethod]
    public async Task LastGoodRefresh_IsKnownAtStart_FromTheCachedCopy()
    {
        using var server = new FakeListServer { Body = "ads.example.net\n" };
        using (var first = new Fixture(server))
        {
            Assert.IsTrue(await first.Service.RefreshAsync(force: true, CancellationToken.None));
            Assert.AreEqual(first.Time.GetUtcNow(), first.Service.LastGoodRefreshByList["remote"]);

            // A new service over the same data folder (the next start) knows it before any download.
            var restarted = new ListRefreshService(first.Options, first.Engine, new ListDownloader(first.Http, first.Time), first.Time, NullLogger<ListRefreshService>.Instance, TestMeters.Factory());

            Assert.AreEqual(first.Time.GetUtcNow(), restarted.LastGoodRefreshByList["remote"]);
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// <c>QueryLog:AnonymizeClients</c> everywhere a client is shown or stored, through the daemon:
/// the query log, the inventory (<c>/api/devices</c>, <c>/api/unclassified</c>,
/// <c>inventory.db</c>) and the log, one token per client across all of them; an inventory
/// stored in clear before is masked at the next start, and a client restored by its token is
/// the same client when it asks again (its history and its Xiaomi flag with it).
/// </summary>
[TestClass]
public sealed class AnonymizeClientsTests
{
    private const string Token = "anonymised-test-api-token";
    private const string Stranger = "127.0.0.4";

    [TestMethod]
    public async Task Anonymised_NoAddressInTheQueryLogTheInventoryTheApiOrTheLog_AndOneTokenPerClient()
    {
        await using var upstream = new FakeUpstream();
        using var dir = new TempDirectory();
        dir.Write("telemetry.txt", "||mistat.xiaomi.com^\n");
        dir.Write("zones.txt", "xiaomi.com\n");
        // A name server for PTR lookups: without anonymising, naming a client logs its address (at Debug).
        dir.Write("misinkhole.json", $$"""
            {
              "Lists": { "xiaomi-telemetry": { "Sources": [ "telemetry.txt" ] }, "xiaomi-zones": { "Sources": [ "zones.txt" ] } },
              "Discovery": { "Zones": [ "xiaomi-zones" ] },
              "Dns": { "TcpMaxConnectionsPerClient": 1 },
              "RateLimit": { "Exempt": [] },
              "Policies": { "strict": { "Block": [ "xiaomi-telemetry" ] } },
              "Devices": { "phone": { "Match": [ "127.0.0.2" ] }, "NameServer": "{{upstream.Address}}", "TrustedForwarders": [ "127.0.0.5" ] },
              "QueryLog": { "Record": "All", "AnonymizeClients": true, "FlushInterval": "50ms" },
              "Http": { "ApiToken": "{{Token}}" },
              "Logging": { "LogLevel": { "Default": "Trace" } }
            }
            """);
        int dnsPort = DaemonProcess.FreePort();
        int httpPort = DaemonProcess.FreePort();
        await using DaemonProcess daemon = DaemonProcess.Start(["--config", Path.Combine(dir.Path, "misinkhole.json"), $"--Dns:Listen:0=127.0.0.1:{dnsPort}",
            $"--Http:Listen=127.0.0.1:{httpPort}", $"--Upstreams:Servers:0={upstream.Address}", $"--DataDirectory={dir.Path}"]);
        await daemon.WaitForOutputAsync("Serving HTTP on", TimeSpan.FromSeconds(30));
        var dns = new IPEndPoint(IPAddress.Loopback, dnsPort);
        await Dig.RunAsync(dns, "-b", Stranger, "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(dns, "-b", Stranger, "new.xiaomi.com", "A");
        await Dig.RunAsync(dns, "-b", Stranger, "example.org", "A");
        await Dig.RunAsync(dns, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(dns, "-b", "127.0.0.5", "+subnet=127.0.0.7/32", "data.mistat.xiaomi.com", "AAAA"); // a client behind a forwarding router
        using (var held = new TcpClient(new IPEndPoint(IPAddress.Parse(Stranger), 0)))
        using (var overCap = new TcpClient(new IPEndPoint(IPAddress.Parse(Stranger), 0)))
        {
            await held.ConnectAsync(dns);
            await overCap.ConnectAsync(dns); // past the per-client cap: closed, and logged (at Debug) by token
            await daemon.WaitForOutputAsync("TCP connection from anon-", TimeSpan.FromSeconds(30));
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
        JsonElement log = default;
        var polled = Stopwatch.StartNew();
        while ((log = await http.GetFromJsonAsync<JsonElement>("/api/querylog")).GetProperty("items").GetArrayLength() < 5)
        {
            Assert.IsLessThan(TimeSpan.FromSeconds(30), polled.Elapsed, "the query log gets the five queries");
            await Task.Delay(50);
        }

        string devices = await http.GetStringAsync(new Uri("/api/devices", UriKind.Relative));
        string unclassified = await http.GetStringAsync(new Uri("/api/unclassified", UriKind.Relative));
        JsonElement strangersNames = await http.GetFromJsonAsync<JsonElement>($"/api/unclassified?device={Stranger}");
        Assert.AreEqual(0, NativeSignal.Terminate(daemon.Process.Id));
        await daemon.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));

        string[] strangerTokens = [.. log.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("device").GetString() == "unknown" && r.GetProperty("forwarder").ValueKind == JsonValueKind.Null).Select(r => r.GetProperty("client").GetString()!).Distinct()];
        string token = strangerTokens.Single();
        StringAssert.StartsWith(token, "anon-");
        JsonElement clients = JsonDocument.Parse(devices).RootElement.GetProperty("clients");
        JsonElement stranger = clients.EnumerateArray().Single(c => c.GetProperty("device").ValueKind == JsonValueKind.Null && c.GetProperty("forwarder").ValueKind == JsonValueKind.Null);
        JsonElement behindRouter = clients.EnumerateArray().Single(c => c.GetProperty("forwarder").ValueKind != JsonValueKind.Null);
        JsonElement forwardedRow = log.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("forwarder").ValueKind != JsonValueKind.Null);
        StringAssert.StartsWith(forwardedRow.GetProperty("forwarder").GetString(), "anon-", "the forwarder, by token");
        Assert.AreEqual(forwardedRow.GetProperty("forwarder").GetString(), behindRouter.GetProperty("forwarder").GetString(), "one token for the router");
        Assert.AreEqual(forwardedRow.GetProperty("client").GetString(), behindRouter.GetProperty("address").GetString(), "and one for the client it named");
        Assert.AreNotEqual(token, behindRouter.GetProperty("address").GetString());
        JsonElement phone = clients.EnumerateArray().Single(c => c.GetProperty("device").GetString() == "phone");
        Assert.AreEqual(token, stranger.GetProperty("key").GetString(), "the inventory shows the client by the query log's token");
        Assert.AreEqual(token, stranger.GetProperty("address").GetString());
        Assert.AreEqual(JsonValueKind.Null, stranger.GetProperty("hostName").ValueKind, "no host name beside the token");
        StringAssert.StartsWith(phone.GetProperty("address").GetString(), "anon-", "a configured device's address too");
        Assert.AreEqual(token, strangersNames.GetProperty("names")[0].GetProperty("clients")[0].GetProperty("client").GetString(), "?device= by address finds the token");
        foreach ((string what, string text) in (IEnumerable<(string, string)>)[("/api/querylog", log.GetRawText()), ("/api/devices", devices), ("/api/unclassified", unclassified),
            ("the log", daemon.Output), ("inventory.db", Stored(dir.Path, "inventory.db*")), ("querylog.db", Stored(dir.Path, "querylog.db*"))])
        {
            Assert.DoesNotContain(Stranger, text, $"{what} shows the client's address");
            Assert.DoesNotContain("127.0.0.7", text, $"{what} shows the address a forwarder named");
            Assert.DoesNotContain("127.0.0.5", text, $"{what} shows the forwarder's address");
            if (what != "/api/devices")
            {
                Assert.DoesNotContain("127.0.0.2", text, $"{what} shows the device's address"); // /api/devices shows its configured Match, not what was seen
            }
        }

        Assert.DoesNotContain("127.0.0.2", clients.GetRawText(), "the inventory shows the device by name, its address as a token");

        StringAssert.Contains(daemon.Output, "Device inventory: 0 clients loaded", "the log was read at Trace level and is there");
    }

    [TestMethod]
    public async Task AnInventoryStoredInClear_IsMaskedAtTheNextStart_AndARestoredClientIsTheSameClient_WithItsXiaomiFlag()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        Task<RunningDaemon> StartAsync(bool anonymise) => RunningDaemon.StartAsync(
            new TestConfig()
                .Upstream(upstream.Address)
                .List("xiaomi-telemetry", "telemetry.txt")
                .Policy("observe", log: ["xiaomi-telemetry"])
                .Policy("strict", block: ["xiaomi-telemetry"])
                .DefaultPolicy("observe")
                .AutoPolicy("strict")
                .Set("DataDirectory", data.Path)
                .Set("QueryLog:AnonymizeClients", anonymise ? "true" : "false")
                .Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "||mistat.xiaomi.com^\n" });

        await using (RunningDaemon clear = await StartAsync(anonymise: false))
        {
            await Dig.RunAsync(clear.EndPoint, "-b", Stranger, "data.mistat.xiaomi.com", "A"); // logged, and flags it as a Xiaomi device
        }

        string before = Stored(data.Path, "inventory.db*");
        JsonElement first, second;
        string logClient;
        await using (RunningDaemon masked = await StartAsync(anonymise: true))
        {
            string atStart = StoredRows(data.Path);
            using HttpClient http = masked.ApiClient();
            logClient = (await http.GetFromJsonAsync<JsonElement>("/api/querylog")).GetProperty("items")[0].GetProperty("client").GetString()!;
            first = await ClientAsync(masked);
            await Dig.RunAsync(masked.EndPoint, "-b", Stranger, "example.org", "A");
            second = await ClientAsync(masked);

            Assert.DoesNotContain(Stranger, atStart, "rewritten at start, masked");
        }

        JsonElement restored, again;
        string policy;
        await using (RunningDaemon later = await StartAsync(anonymise: true))
        {
            restored = await ClientAsync(later);
            await Dig.RunAsync(later.EndPoint, "-b", Stranger, "example.org", "A");
            again = await ClientAsync(later);
            using HttpClient http = later.ApiClient();
            policy = (await http.GetFromJsonAsync<JsonElement>($"/api/explain?name=data.mistat.xiaomi.com&device={Stranger}")).GetProperty("policySource").GetString()!;
        }

        StringAssert.Contains(before, Stranger, "stored in clear while not anonymising");
        string token = first.GetProperty("key").GetString()!;
        StringAssert.StartsWith(token, "anon-");
        Assert.AreEqual((1L, 2L), (first.GetProperty("queries").GetInt64(), second.GetProperty("queries").GetInt64()), "the same client, its history kept");
        Assert.AreEqual((token, 2L), (restored.GetProperty("key").GetString(), restored.GetProperty("queries").GetInt64()), "restored by its token, shown before it asks again");
        Assert.AreEqual((token, 3L), (again.GetProperty("key").GetString(), again.GetProperty("queries").GetInt64()), "asking again, it is that client");
        Assert.IsTrue(again.GetProperty("isProbablyXiaomi").GetBoolean());
        Assert.AreEqual("autoPolicy", policy, "its Xiaomi flag came back with it: Devices:AutoPolicy applies");
        Assert.AreEqual(token, logClient, "the query log's rows from before hold the token now");
        Assert.DoesNotContain(Stranger, Stored(data.Path, "inventory.db*"), "nothing of the old rows is left in the file");
        Assert.DoesNotContain(Stranger, Stored(data.Path, "querylog.db*"));
    }

    /// <summary>The only client of the inventory that is no device.</summary>
    private static async Task<JsonElement> ClientAsync(RunningDaemon daemon)
    {
        using HttpClient http = daemon.ApiClient();
        JsonElement devices = await http.GetFromJsonAsync<JsonElement>("/api/devices");
        return devices.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("device").ValueKind == JsonValueKind.Null);
    }

    /// <summary>The bytes of the files matching <paramref name="pattern"/> (a database, its WAL), as text to search.</summary>
    private static string Stored(string directory, string pattern) =>
        string.Concat(Directory.GetFiles(directory, pattern).Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));

    /// <summary>Every value of every row of the inventory, read through SQLite (the WAL included).</summary>
    private static string StoredRows(string directory)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "inventory.db"), Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT key, address, mac, host_name FROM clients";
        using SqliteDataReader row = select.ExecuteReader();
        var text = new StringBuilder();
        while (row.Read())
        {
            for (int i = 0; i < row.FieldCount; i++)
            {
                text.Append(row.IsDBNull(i) ? "" : row.GetString(i)).Append(' ');
            }
        }

        return text.ToString();
    }
}

using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using MiSinkhole.Core.QueryLog;
using MiSinkhole.TestKit;

namespace MiSinkhole.Tests.Http;

/// <summary>One spelling of an enum value everywhere in the API: camelCase, as the query log and the metrics labels have it.</summary>
[TestClass]
public sealed class ApiEnumSpellingTests
{
    [TestMethod]
    public async Task PolicyAction_IsSpelledTheSameInDevicesExplainAndTheQueryLog()
    {
        await using var upstream = new FakeUpstream();
        using var data = new TempDirectory();
        await using RunningDaemon daemon = await RunningDaemon.StartAsync(
            new TestConfig()
                .Upstream(upstream.Address)
                .List("xiaomi-telemetry", "telemetry.txt")
                .Policy("strict", block: ["xiaomi-telemetry"])
                .Policy("observe", log: ["xiaomi-telemetry"])
                .DefaultPolicy("strict")
                .Device("new-phone", "observe", "127.0.0.3")
                .Set("DataDirectory", data.Path)
                .Values,
            new Dictionary<string, string> { ["telemetry.txt"] = "||mistat.xiaomi.com^\n" });
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.2", "data.mistat.xiaomi.com", "A");
        await Dig.RunAsync(daemon.EndPoint, "-b", "127.0.0.3", "data.mistat.xiaomi.com", "A");
        daemon.Get<QueryLogWriter>().Flush();
        using HttpClient http = daemon.ApiClient();

        JsonElement log = await http.GetFromJsonAsync<JsonElement>("/api/querylog");
        JsonElement devices = await http.GetFromJsonAsync<JsonElement>("/api/devices");
        JsonElement blocked = await http.GetFromJsonAsync<JsonElement>("/api/explain?name=data.mistat.xiaomi.com");
        JsonElement logged = await http.GetFromJsonAsync<JsonElement>("/api/explain?name=data.mistat.xiaomi.com&device=new-phone");
        JsonElement forwarded = await http.GetFromJsonAsync<JsonElement>("/api/explain?name=example.org");

        string[] logActions = [.. log.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString()!).Order()];
        string[] inventoryActions = [.. devices.GetProperty("clients").EnumerateArray()
            .SelectMany(c => c.GetProperty("matches").EnumerateArray()).Select(m => m.GetProperty("action").GetString()!).Order()];
        CollectionAssert.AreEqual(new[] { "blocked", "logged" }, logActions);
        CollectionAssert.AreEqual(logActions, inventoryActions, "the inventory spells them as the query log does");
        Assert.AreEqual("blocked", blocked.GetProperty("action").GetString());
        Assert.AreEqual("logged", logged.GetProperty("action").GetString());
        Assert.AreEqual("none", forwarded.GetProperty("action").GetString());
    }

    [TestMethod]
    public void EveryEnumTheApiReturns_HasTheCamelCaseConverter()
    {
        Assembly daemon = typeof(MiSinkhole.Hosting.DaemonHost).Assembly;
        Type context = daemon.GetType("MiSinkhole.Http.ApiJsonContext", throwOnError: true)!;
        JsonSourceGenerationOptionsAttribute options = context.GetCustomAttribute<JsonSourceGenerationOptionsAttribute>()!;
        Type[] converted = [.. (options.Converters ?? []).Select(c => c.GetGenericArguments().Single())];
        var enums = new HashSet<Type>();
        var seen = new HashSet<Type>();
        foreach (Type root in ApiTypes(context))
        {
            Walk(root, enums, seen);
        }

        Assert.IsNotEmpty(enums, "the walk finds the API's enums");
        foreach (Type e in enums)
        {
            CollectionAssert.Contains(converted, e, $"{e.Name} reaches the API without ApiEnumConverter<{e.Name}> in ApiJsonContext");
        }
    }

    /// <summary>The response types the context is generated for: the first constructor argument of each [JsonSerializable].</summary>
    private static IEnumerable<Type> ApiTypes(Type context) =>
        context.GetCustomAttributesData().Where(a => a.AttributeType == typeof(JsonSerializableAttribute)).Select(a => (Type)a.ConstructorArguments[0].Value!);

    private static void Walk(Type type, HashSet<Type> enums, HashSet<Type> seen)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (!seen.Add(type) || type == typeof(string) || type.IsPrimitive)
        {
            return;
        }

        if (type.IsEnum)
        {
            enums.Add(type);
            return;
        }

        if (type.IsGenericType)
        {
            foreach (Type argument in type.GetGenericArguments())
            {
                Walk(argument, enums, seen);
            }
        }

        if (type.Namespace?.StartsWith("MiSinkhole", StringComparison.Ordinal) == true)
        {
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                Walk(property.PropertyType, enums, seen);
            }
        }
    }
}

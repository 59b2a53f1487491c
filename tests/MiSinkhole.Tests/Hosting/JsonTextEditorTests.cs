using System.Text.Json;
using Microsoft.Extensions.Configuration;
using MiSinkhole.Hosting;

namespace MiSinkhole.Tests.Hosting;

/// <summary>
/// Setting a value in a config file's text: replaced where it is, added in the deepest section
/// that exists, every other byte (comments, layout, trailing commas) left as it was, and the
/// result read back by .NET's JSON configuration as the value set.
/// </summary>
[TestClass]
public sealed class JsonTextEditorTests
{
    private const string File = """
        {
          // The household's devices
          "Devices": {
            "living-room-tv": { "Match": [ "192.168.1.20" ], "Policy": "observe" }, // the TV
            "phone": {
              "Match": [ "aa:bb:cc:dd:ee:ff" ],
            },
          },
          /* lists */ "Lists": { "a": { "Sources": [ "a.txt" ] } }
        }
        """;

    private static string? Read(string json, string key)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return new ConfigurationBuilder().AddJsonStream(stream).Build()[key];
    }

    [TestMethod]
    public void AValueThatIsThere_IsReplacedInPlace_EverythingElseStays()
    {
        string edited = JsonTextEditor.Set(File, ["devices", "LIVING-ROOM-TV", "policy"], "\"strict\"");

        Assert.AreEqual(File.Replace("\"Policy\": \"observe\"", "\"Policy\": \"strict\"", StringComparison.Ordinal), edited);
        Assert.AreEqual("strict", Read(edited, "Devices:living-room-tv:Policy"));
    }

    [TestMethod]
    public void AKeyThatIsNot_IsAddedToItsSection_InItsIndentation()
    {
        string edited = JsonTextEditor.Set(File, ["Devices", "phone", "Policy"], "\"max\"");

        StringAssert.Contains(edited, """
                "phone": {
                  "Policy": "max",
                  "Match": [ "aa:bb:cc:dd:ee:ff" ],
                },
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.AreEqual("max", Read(edited, "Devices:phone:Policy"));
        Assert.AreEqual("aa:bb:cc:dd:ee:ff", Read(edited, "Devices:phone:Match:0"));
        Assert.AreEqual("observe", Read(edited, "Devices:living-room-tv:Policy"));
        StringAssert.Contains(edited, "// the TV");
        StringAssert.Contains(edited, "/* lists */");
    }

    [TestMethod]
    public void ADeviceOnOneLine_GetsItsKeyOnThatLine()
    {
        string edited = JsonTextEditor.Set("""{ "Devices": { "tv": { "Match": [ "10.0.0.2" ] } } }""", ["Devices", "tv", "Policy"], "\"strict\"");

        Assert.AreEqual("""{ "Devices": { "tv": { "Policy": "strict", "Match": [ "10.0.0.2" ] } } }""", edited);
    }

    [TestMethod]
    public void SectionsThatAreNotThere_AreMadeWithTheValue()
    {
        string edited = JsonTextEditor.Set("{\n  \"DefaultPolicy\": \"strict\"\n}\n", ["Devices", "kids-tablet"], """{ "Match": [ "192.168.1.23" ] }""");

        Assert.AreEqual("{\n  \"Devices\": { \"kids-tablet\": { \"Match\": [ \"192.168.1.23\" ] } },\n  \"DefaultPolicy\": \"strict\"\n}\n", edited);
        Assert.AreEqual("192.168.1.23", Read(edited, "Devices:kids-tablet:Match:0"));
        Assert.AreEqual("{ \"A\": { } }", JsonTextEditor.Set("{}", ["A"], "{ }"));
        Assert.AreEqual("1", Read(JsonTextEditor.Set("{}", ["A", "B"], "1"), "A:B"));
    }

    [TestMethod]
    public void CommentsBeforeTheFirstMember_StayWhereTheyAre()
    {
        Assert.AreEqual("{\n  \"pc\": 2,\n  /* tv */ \"tv\": 1 }", JsonTextEditor.Set("{\n  /* tv */ \"tv\": 1 }", ["pc"], "2"));
        string spanning = "{ /* a\n   b */ \"tv\": 1 }";
        string edited = JsonTextEditor.Set(spanning, ["pc"], "2");
        Assert.AreEqual("{\n   \"pc\": 2, /* a\n   b */ \"tv\": 1 }", edited, "the comment is not split");
        Assert.AreEqual("1", Read(edited, "tv"), "still valid JSON with comments");
        Assert.AreEqual("2", Read(edited, "pc"));
        string crlf = JsonTextEditor.Set("{\r\n  // devices\r\n  \"tv\": 1\r\n}", ["pc"], "2");
        Assert.AreEqual("{\r\n  \"pc\": 2,\r\n  // devices\r\n  \"tv\": 1\r\n}", crlf);
    }

    [TestMethod]
    public void Contains_SaysWhetherTheFileSetsTheKey()
    {
        Assert.IsTrue(JsonTextEditor.Contains(File, ["devices", "Phone"]));
        Assert.IsTrue(JsonTextEditor.Contains(File, ["Devices", "living-room-tv", "Policy"]));
        Assert.IsFalse(JsonTextEditor.Contains(File, ["Devices", "phone", "Policy"]));
        Assert.IsFalse(JsonTextEditor.Contains(File, ["Devices", "kids-tablet"]));
    }

    [TestMethod]
    public void AnArrayOrObjectValue_IsReplacedWhole()
    {
        string edited = JsonTextEditor.Set(File, ["Devices", "phone", "Match"], JsonTextEditor.Array(["10.0.0.9", "clientid:phone"]));

        Assert.AreEqual("10.0.0.9", Read(edited, "Devices:phone:Match:0"));
        Assert.AreEqual("clientid:phone", Read(edited, "Devices:phone:Match:1"));
        Assert.IsNull(Read(edited, "Devices:phone:Match:2"));
        Assert.AreEqual("a.txt", Read(JsonTextEditor.Set(File, ["Devices", "phone"], "{ \"Match\": [ \"1.2.3.4\" ] }"), "Lists:a:Sources:0"));
    }

    [TestMethod]
    public void ASectionThatIsAValue_OrTextThatIsNoObject_IsAClearError()
    {
        Assert.ThrowsExactly<FormatException>(() => JsonTextEditor.Set("""{ "Devices": "none" }""", ["Devices", "tv", "Policy"], "\"strict\""));
        Assert.ThrowsExactly<FormatException>(() => JsonTextEditor.Set("""{ "Devices": [ 1 ] }""", ["Devices", "tv"], "{}"));
        Assert.ThrowsExactly<FormatException>(() => JsonTextEditor.Set("[ 1 ]", ["A"], "1"));
        Assert.ThrowsExactly<FormatException>(() => JsonTextEditor.Set("{ \"A\": ", ["A"], "1"));
    }

    [TestMethod]
    public void StringsAreEscapedAsTheConfigReadsThem()
    {
        string tricky = "a\"b\\c\n<é>";
        string edited = JsonTextEditor.Set("{}", ["Devices", "x", "Policy"], JsonTextEditor.Quote(tricky));

        Assert.AreEqual(tricky, Read(edited, "Devices:x:Policy"));
        using JsonDocument parsed = JsonDocument.Parse(edited);
        Assert.AreEqual(tricky, parsed.RootElement.GetProperty("Devices").GetProperty("x").GetProperty("Policy").GetString());
    }
}

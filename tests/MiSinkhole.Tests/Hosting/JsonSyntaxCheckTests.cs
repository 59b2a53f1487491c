using System.Text;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Hosting;

namespace MiSinkhole.Tests.Hosting;

/// <summary>JSON syntax errors in a config file: where (1-based line and column, in characters) and what, in our words.</summary>
[TestClass]
public sealed class JsonSyntaxCheckTests
{
    [TestMethod]
    [DataRow("{\n  \"Dns\": { \"Listen\": [ \"127.0.0.1:5300\" ] }\n  \"Upstreams\": { }\n}\n", 3, 3, "expected ',' or '}' after a property value, found '\"Upstreams\"' (a comma missing at the end of line 2?)")]
    [DataRow("{ \"Dns\": { \"Listen\": [ \"a\" \"b\" ] } }", 1, 28, "expected ',' or ']' after an array element, found '\"b\"'")]
    [DataRow("{\n  \"Dns\" { }\n}", 2, 9, "expected ':' after the property name, found '{'")]
    [DataRow("{ Dns: { } }", 1, 3, "expected a property name in double quotes (\"Name\"), found 'Dns'")]
    [DataRow("{ 'Dns': { } }", 1, 3, "property names need double quotes (\"Name\"), not single quotes")]
    [DataRow("{ \"DefaultPolicy\": strict }", 1, 20, "'strict' is not a value: text needs double quotes (\"strict\"); the only bare words are true, false and null")]
    [DataRow("{ \"Cache\": { \"MaxEntries\": 01 } }", 1, 28, "'01' is not a JSON number (no leading zeros, digits after a '.'); or put it in double quotes")]
    [DataRow("{ \"Dns\": { \"Listen\": [ \"a\" ] }\n", 2, 1, "the file ends before every object and array is closed: expected '}'")]
    [DataRow("{ \"Dns\": { } } }", 1, 16, "unexpected '}' after the end of the config: its outermost object is already closed (one '}' too many?)")]
    [DataRow("{ \"QueryLog\": { \"Path\": \"C:\\data\\q.db\" } }", 1, 28, "invalid escape in a string: a backslash starts \\n, \\t, \\\" or \\uXXXX; write \\\\ for a backslash itself (or use / in paths)")]
    [DataRow("{ \"DefaultPolicy\": \"strict }\n", 1, 20, "this string is not closed: '\"' is missing before the end of the line")]
    [DataRow("[ ]", 1, 1, "the config must be a JSON object: { \"Section\": { … } }")]
    [DataRow("  \n", 1, 1, "the file is empty: a config is a JSON object, at least {}")]
    [DataRow("{\n  \"Dns\": { },\n  \"dns\": { }\n}", 3, 3, "the key \"dns\" is given twice in this object (also on line 2; keys ignore case)")]
    [DataRow("{\n  \"::Discovery\": { }\n}", 2, 3, "the key \"::Discovery\" holds a ':', which separates sections in config keys; write nested objects instead")]
    [DataRow("{ \"Dns\": { \"\": 1 } }", 1, 12, "a key cannot be empty (\"\")")]
    [DataRow("{ \"Devices\": { \"Küche-TV\": 1 \"b\": 2 } }", 1, 30, "expected ',' or '}' after a property value, found '\"b\"'")]
    public void SyntaxError_IsReportedAsFileLineColumnAndWhatIsWrong(string json, int line, int column, string message)
    {
        ConfigError? error = JsonSyntaxCheck.Check(Encoding.UTF8.GetBytes(json), "/etc/misinkhole/misinkhole.json");

        Assert.IsNotNull(error);
        Assert.AreEqual($"/etc/misinkhole/misinkhole.json:{line}:{column}: {message}", error.ToString());
    }

    [TestMethod]
    [DataRow("{ }")]
    [DataRow("\uFEFF{ \"Dns\": { \"Listen\": [ \"127.0.0.1:5300\", ] }, }")]
    [DataRow("{\n  // a comment\n  \"Lists\": { /* inline */ \"a\": { \"Sources\": [ \"a.txt\" ] } }\n}\n")]
    [DataRow("{ \"Policies\": { \"a\": { \"Block\": [ \"x\" ] }, \"b\": { \"Block\": [ \"x\" ] } } }")]
    public void ValidConfig_PassesAsTheConfigProviderReadsIt(string json)
    {
        Assert.IsNull(JsonSyntaxCheck.Check(Encoding.UTF8.GetBytes(json), "c.json"));
    }
}

using System.Text.RegularExpressions;

namespace MiSinkhole.TestKit;

/// <summary>dig's output with the parts tests look at.</summary>
public sealed partial record DigResult(int ExitCode, string Output, string Error)
{
    /// <summary>NOERROR, NXDOMAIN, SERVFAIL … from the -&gt;&gt;HEADER&lt;&lt;- line; null when no answer came.</summary>
    public string? Status => StatusPattern().Match(Output) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The answer section's records, one "name ttl class type data" line each.</summary>
    public IReadOnlyList<string> Answers => Section("ANSWER");

    public IReadOnlyList<string> Authority => Section("AUTHORITY");

    public string Flags => FlagsPattern().Match(Output) is { Success: true } m ? m.Groups[1].Value : "";

    /// <summary>The answer's size in bytes (dig's "MSG SIZE rcvd"); -1 when no answer came.</summary>
    public int ReceivedSize => SizePattern().Match(Output) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;

    private List<string> Section(string name)
    {
        var lines = new List<string>();
        bool inside = false;
        foreach (string line in Output.Split('\n'))
        {
            if (line.StartsWith($";; {name} SECTION:", StringComparison.Ordinal))
            {
                inside = true;
                continue;
            }

            if (inside)
            {
                if (string.IsNullOrWhiteSpace(line) || line.StartsWith(';'))
                {
                    break;
                }

                lines.Add(WhitespacePattern().Replace(line.Trim(), " "));
            }
        }

        return lines;
    }

    [GeneratedRegex(@"status: ([A-Z]+)")]
    private static partial Regex StatusPattern();

    [GeneratedRegex(@";; flags: ([a-z ]+);")]
    private static partial Regex FlagsPattern();

    [GeneratedRegex(@";; MSG SIZE\s+rcvd: (\d+)")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();
}

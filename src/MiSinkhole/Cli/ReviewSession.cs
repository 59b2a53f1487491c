using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Cli;

/// <summary>
/// The interactive part of <c>misinkhole review</c>: shows each unclassified name (newest first)
/// with its zone, the clients that asked, how often and when last, and what its shape suggests,
/// and asks what it is: telemetry, ads, crash, essential (allow), ignore (known, benign), skip or
/// quit. A decision is appended to its local list at once (<see cref="LocalDecisions"/>); an empty
/// answer skips, so nothing is written without being asked for. Reads lines, so it also works
/// with piped input.
/// </summary>
public sealed class ReviewSession(TextReader input, TextWriter output, ConfigSnapshot snapshot, TimeProvider time)
{
    /// <summary>Write each answer after its prompt (input piped in rather than typed, which a terminal echoes).</summary>
    public bool EchoAnswers { get; init; }

    /// <summary>What the prompt offers.</summary>
    public const string Choices = "[t]elemetry [a]ds [c]rash [e]ssential (allow) [i]gnore (known, benign) [s]kip [q]uit";

    /// <summary>Asks about every name of <paramref name="report"/> (until quit or end of input); returns how many were written.</summary>
    public int Run(UnclassifiedReport report)
    {
        int written = 0;
        for (int i = 0; i < report.Names.Count; i++)
        {
            UnclassifiedNameReport name = report.Names[i];
            output.WriteLine();
            output.WriteLine($"[{i + 1}/{report.Names.Count}] {name.Name}  (zone {name.Zone})");
            output.WriteLine($"  {Describe(name)}");
            output.WriteLine($"  suggested: {name.Suggested ?? "none (nothing in the name says)"}");
            while (true)
            {
                output.Write($"  {Choices} > ");
                string? answer = input.ReadLine()?.Trim();
                if (EchoAnswers)
                {
                    output.WriteLine(answer);
                }

                if (answer is null || answer.Equals("q", StringComparison.OrdinalIgnoreCase) || answer.Equals("quit", StringComparison.OrdinalIgnoreCase))
                {
                    output.WriteLine($"{written} decision(s) written.");
                    return written;
                }

                if (answer.Length == 0 || answer.Equals("s", StringComparison.OrdinalIgnoreCase) || answer.Equals("skip", StringComparison.OrdinalIgnoreCase))
                {
                    break;
                }

                if (ReviewDecision.Parse(answer) is not { } decision)
                {
                    output.WriteLine($"  '{answer}' is none of these");
                    continue;
                }

                ReviewOutcome outcome = LocalDecisions.Apply(snapshot, name.Name, decision, Note(name), time.GetLocalNow());
                output.WriteLine("  " + outcome.Message);
                written += outcome.Appended ? 1 : 0;
                break;
            }
        }

        output.WriteLine($"{written} decision(s) written.");
        return written;
    }

    /// <summary>"3 queries, last 2026-12-02 10:00:00 +01:00, by old-phone (2), 192.168.1.40 (1)".</summary>
    public string Describe(UnclassifiedNameReport name) =>
        $"{name.Count} {(name.Count == 1 ? "query" : "queries")}, last {LocalTime.Format(name.LastSeen, time.LocalTimeZone)}, by "
        + string.Join(", ", name.Clients.Select(c => $"{c.Client} ({c.Count})"));

    /// <summary>What the file's comment keeps of the review: the suggestion and who asked.</summary>
    private static string Note(UnclassifiedNameReport name) =>
        $"suggested {name.Suggested ?? "none"}; {name.Count} {(name.Count == 1 ? "query" : "queries")} by "
        + string.Join(", ", name.Clients.Take(3).Select(c => c.Client)) + (name.Clients.Count > 3 ? ", …" : "");
}

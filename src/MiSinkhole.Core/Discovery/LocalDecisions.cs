using System.Globalization;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Lists;
using MiSinkhole.Dns;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Discovery;

/// <summary>
/// Writes a review decision where the config reads it: the name is appended, under a dated
/// comment, to the first file of the decision's local list (<c>local-telemetry</c> →
/// <c>rules/local/telemetry.txt</c> in the shipped configs), which is created if missing. Only
/// appends: the user's own lines are never rewritten, and the daemon reloads the file when it
/// changes. A zone's own name (<c>xiaomi.com</c>) is written as an exact rule (<c>|xiaomi.com^</c>),
/// so that no decision ever covers a whole zone; any other name as a plain rule (the name and its
/// subdomains).
/// </summary>
public static class LocalDecisions
{
    /// <summary>Decides <paramref name="name"/>: appends it to the decision's file, unless it is there already.</summary>
    /// <param name="snapshot">The config compiled (for the zones and what decides the name now).</param>
    /// <param name="note">What the comment adds after the decision (who asked, what was suggested); null: nothing.</param>
    /// <exception cref="ArgumentException">The name is no domain name, or the config has no such local list (the message says what to add).</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static ReviewOutcome Apply(ConfigSnapshot snapshot, string name, ReviewDecision decision, string? note, DateTimeOffset now)
    {
        lock (FileLock) // the API and another instance's decision at once: one appends, the other finds the rule there
        {
            return ApplyLocked(snapshot, name, decision, note, now);
        }
    }

    private static readonly Lock FileLock = new();

    private static ReviewOutcome ApplyLocked(ConfigSnapshot snapshot, string name, ReviewDecision decision, string? note, DateTimeOffset now)
    {
        Span<char> lower = stackalloc char[256];
        if (AdblockRuleParser.NormalizeName(name, lower, out int length) is string problem)
        {
            throw new ArgumentException($"'{name}': {problem}");
        }

        string normalized = lower[..length].ToString();
        ListOptions list = snapshot.Options.Lists.FirstOrDefault(l => l.Name.Equals(decision.List, StringComparison.OrdinalIgnoreCase) && l.Subscriptions.Count == 0)
            ?? throw new ArgumentException($"the config has no list '{decision.List}' to write '{decision.Word}' decisions to: add "
                + $"\"{decision.List}\": {{ \"Sources\": [ \"rules/local/{FileName(decision)}\" ], \"Optional\": true }} to its Lists (see README, Rules)");
        string file = list.Sources[0];

        byte[] wire = DnsName.FromText(normalized);
        RuleMatch match = snapshot.Rules.Match(wire, DnsRecordType.A);
        int zone = snapshot.UnclassifiedZone(match) is int z and >= 0 ? z : ZoneOf(snapshot, match);
        bool apex = zone >= 0 && snapshot.Rules.RuleFor(wire, DnsRecordType.A, zone) == normalized;
        string rule = apex ? $"|{normalized}^" : normalized;
        if (File.Exists(file) && File.ReadLines(file).Any(l => l.Split('#')[0].Trim() == rule))
        {
            return new ReviewOutcome(false, file, rule, $"{rule} is already in {file}");
        }

        string? decidedBy = DecidingLists(snapshot, match);
        string folder = Path.GetDirectoryName(file)!;
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101); // rwxr-xr-x: the daemon's user reads it, whoever reviews
            }
        }

        bool created = !File.Exists(file);
        using (var writer = new StreamWriter(new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.Read), new System.Text.UTF8Encoding(false)))
        {
            if (created)
            {
                writer.WriteLine($"# Local decisions of misinkhole review: {decision.Word} (list {list.Name}: {decision.Effect}).");
                writer.WriteLine("# Your own file: no install or upgrade ships or replaces it. Edit it freely; the daemon");
                writer.WriteLine("# reloads it when it changes.");
            }

            writer.WriteLine();
            writer.WriteLine($"# {now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}: misinkhole review: {decision.Word}{(note is null ? "" : $" ({note})")}");
            writer.WriteLine(rule);
        }

        if (created && !OperatingSystem.IsWindows())
        {
            // Readable by the daemon's user whatever the reviewer's umask (a root shell's may be 077).
            File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100); // rw-r--r--
        }

        string message = $"{rule} → {list.Name} ({file}): {decision.Effect}"
            + (apex ? "; a zone's own name, so only that name (not the zone)" : "")
            + (decidedBy is null ? "" : $"; note: already decided by {decidedBy}")
            + (zone < 0 ? "; note: not under any zone of Discovery:Zones" : "");
        return new ReviewOutcome(true, file, rule, message);
    }

    /// <summary>The file name the shipped configs give a decision's list (<c>local-telemetry</c> → <c>telemetry.txt</c>).</summary>
    public static string FileName(ReviewDecision decision) => decision.List["local-".Length..] + ".txt";

    /// <summary>The first zone list that matches (the name may be decided by other lists too), or -1.</summary>
    private static int ZoneOf(ConfigSnapshot snapshot, RuleMatch match)
    {
        ulong zones = match.Lists & snapshot.ZoneMask;
        return zones == 0 ? -1 : System.Numerics.BitOperations.TrailingZeroCount(zones);
    }

    /// <summary>The lists other than zones that cover the name now ("xiaomi-telemetry, local-known"), or null.</summary>
    private static string? DecidingLists(ConfigSnapshot snapshot, RuleMatch match)
    {
        ulong others = (match.Lists | match.Exceptions) & ~snapshot.ZoneMask;
        string[] names = [.. Enumerable.Range(0, snapshot.Rules.ListNames.Count).Where(i => (others & (1UL << i)) != 0).Select(snapshot.ListName)];
        return names.Length == 0 ? null : string.Join(", ", names);
    }
}

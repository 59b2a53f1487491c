namespace MiSinkhole.Core.Discovery;

/// <summary>
/// A first guess at what an unclassified Xiaomi name is for, from its shape alone: the first
/// label, from the left, that says so (<c>tracking</c>, <c>mistat</c>, <c>stat</c>, <c>log</c> →
/// telemetry; <c>sentry</c>, <c>crash</c>, <c>bugreport</c>, <c>feedback</c> → crash; <c>ad</c>,
/// <c>adv</c>, <c>ads</c> → ads; <c>update</c>, <c>ota</c>, <c>account</c>, <c>push</c> →
/// essential). Labels are also read in parts (<c>mqs-log</c>, <c>sa-api</c>) and without trailing
/// digits (<c>stat2</c>, <c>ad1</c>). Only a suggestion for <c>misinkhole review</c> and
/// <c>/api/unclassified</c>: the user decides.
/// </summary>
public static class NameShape
{
    public const string Telemetry = "telemetry";
    public const string Ads = "ads";
    public const string Crash = "crash";
    public const string Essential = "essential";

    private static readonly Dictionary<string, string> Words = Table(
        (Telemetry, ["tracking", "track", "tracker", "onetrack", "mistat", "stat", "stats", "statistics", "analytics", "metrics", "log", "logs", "mlog", "report", "collect", "beacon"]),
        (Crash, ["sentry", "crash", "crashes", "bugreport", "feedback", "anr", "apm"]),
        (Ads, ["ad", "ads", "adv", "adx", "ssp", "advert"]),
        (Essential, ["update", "updates", "upgrade", "ota", "bigota", "account", "push", "xmpush"]));

    /// <summary>
    /// The category the name's shape suggests (<see cref="Telemetry"/>, <see cref="Ads"/>,
    /// <see cref="Crash"/>, <see cref="Essential"/>), or null when nothing in it says.
    /// </summary>
    public static string? Suggest(string name)
    {
        foreach (string label in name.ToLowerInvariant().TrimEnd('.').Split('.'))
        {
            if (Lookup(label) is string whole)
            {
                return whole;
            }

            foreach (string part in label.Split('-', '_'))
            {
                if (part.Length < label.Length && Lookup(part) is string found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    private static Dictionary<string, string> Table(params (string Category, string[] Words)[] categories) =>
        categories.SelectMany(c => c.Words.Select(w => (Word: w, c.Category))).ToDictionary(p => p.Word, p => p.Category, StringComparer.Ordinal);

    private static string? Lookup(string word)
    {
        string stem = word.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
        return Words.GetValueOrDefault(word) ?? (stem.Length > 0 ? Words.GetValueOrDefault(stem) : null);
    }
}

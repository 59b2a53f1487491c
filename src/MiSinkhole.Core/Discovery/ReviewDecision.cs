namespace MiSinkhole.Core.Discovery;

/// <summary>
/// What a user can decide about an unclassified name in <c>misinkhole review</c>: a word
/// (<c>telemetry</c>, <c>ads</c>, <c>crash</c>, <c>essential</c>, <c>ignore</c>), the local list
/// the name is then added to, and what that list does in the shipped policies.
/// </summary>
public sealed record ReviewDecision(string Word, string List, string Effect)
{
    public static readonly ReviewDecision Telemetry = new(NameShape.Telemetry, "local-telemetry", "blocked by strict and max, logged by observe");
    public static readonly ReviewDecision Ads = new(NameShape.Ads, "local-ads", "blocked by strict and max, logged by observe");
    public static readonly ReviewDecision Crash = new(NameShape.Crash, "local-crash", "blocked by strict and max, logged by observe");
    public static readonly ReviewDecision Essential = new(NameShape.Essential, "local-allow", "allowed by every policy, whatever else lists it");
    public static readonly ReviewDecision Ignore = new("ignore", "local-known", "known and benign: in no policy, only no longer unclassified");

    /// <summary>Every decision, in the order the interactive review offers them.</summary>
    public static IReadOnlyList<ReviewDecision> All { get; } = [Telemetry, Ads, Crash, Essential, Ignore];

    /// <summary>
    /// A decision by its word or first letter (any case); <c>allow</c> is <see cref="Essential"/>,
    /// <c>known</c> is <see cref="Ignore"/>. Null for anything else (<c>skip</c> among them).
    /// </summary>
    public static ReviewDecision? Parse(string? text)
    {
        string word = (text ?? "").Trim().ToLowerInvariant();
        return word switch
        {
            "allow" => Essential,
            "known" => Ignore,
            { Length: 1 } => All.FirstOrDefault(d => d.Word[0] == word[0]),
            _ => All.FirstOrDefault(d => d.Word == word),
        };
    }
}

namespace MiSinkhole.Rules;

/// <summary>What <see cref="AdblockRuleParser"/> made of a line.</summary>
public enum AdblockParseResult
{
    /// <summary>A DNS rule we apply.</summary>
    Rule,

    /// <summary>Not adblock syntax: a hosts or plain-domain line, for the other parsers.</summary>
    NotAdblock,

    /// <summary>Valid adblock syntax we do not apply (cosmetic rules, other modifiers): counted, not an error.</summary>
    Skipped,

    /// <summary>Malformed: reported with its reason.</summary>
    Error,
}

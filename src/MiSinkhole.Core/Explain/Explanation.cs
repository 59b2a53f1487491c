using System.Text;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Explain;

/// <summary>Why a name gets the answer it gets: the policy, its verdict, and every rule that covers the name.</summary>
public sealed record Explanation(string Name, string Type, string Policy, PolicyAction Action, string? DecidingList, IReadOnlyList<MatchedRule> Rules)
{
    /// <summary>The device the explanation is for: a configured name or "unknown".</summary>
    public string Device { get; init; } = "unknown";

    /// <summary>Why the client has its policy: a configured device, Devices:AutoPolicy, or DefaultPolicy.</summary>
    public MiSinkhole.Core.Clients.PolicySource PolicySource { get; init; }

    /// <summary>While blocking is paused for the client, when the pause ends.</summary>
    public DateTimeOffset? PausedUntil { get; init; }

    /// <summary>How the policy in force came about, in words (device or default, schedule, pause).</summary>
    public string Why { get; init; } = "";

    /// <summary>
    /// The address explained is one of <c>Devices:TrustedForwarders</c>: this is for its own
    /// queries; those it forwards naming a client (ECS, MAC) are decided for that client.
    /// </summary>
    public bool TrustedForwarder { get; init; }

    /// <summary>When the name is an unclassified Xiaomi name (under a zone, decided by no list): the zone list; else null.</summary>
    public string? UnclassifiedUnder { get; init; }

    public override string ToString()
    {
        var text = new StringBuilder();
        string verdict = Action switch
        {
            PolicyAction.Blocked => $"blocked by list '{DecidingList}'",
            PolicyAction.Logged => $"answered, and logged as would-block by list '{DecidingList}'",
            PolicyAction.Allowed => $"allowed by list '{DecidingList}'",
            _ => "not on any list of the policy: forwarded",
        };
        text.Append(Name).Append(' ').Append(Type).Append(": ").Append(verdict).Append(" (device '").Append(Device).Append("', policy '").Append(Policy).AppendLine("')");
        if (Why.Length > 0)
        {
            text.Append("  why: ").AppendLine(Why);
        }

        if (TrustedForwarder)
        {
            text.AppendLine("  a trusted forwarder: this is for its own queries; those it forwards naming a client (ECS address, MAC) are decided for that client (explain that address or MAC)");
        }

        if (UnclassifiedUnder is not null)
        {
            text.Append("  unclassified Xiaomi name: under a zone of '").Append(UnclassifiedUnder).AppendLine("', and no list decides it (misinkhole review classifies it)");
        }

        foreach (MatchedRule rule in Rules)
        {
            string kind = (rule.IsException ? "exception, " : "") + (rule.IsImportant ? "important, " : "") + rule.Scope switch
            {
                MiSinkhole.Rules.RuleScope.ExactName => "exact name",
                MiSinkhole.Rules.RuleScope.SubdomainsOnly => "subdomains only",
                MiSinkhole.Rules.RuleScope.Pattern => "pattern",
                _ => "name and subdomains",
            };
            text.Append("  ").Append(rule.List).Append(": ").Append(rule.Source).Append(':').Append(rule.Line)
                .Append("  ").Append(rule.Text).Append("  (").Append(kind).AppendLine(")");
            if (rule.Breaks is not null)
            {
                text.Append("    breaks: ").AppendLine(rule.Breaks);
            }

            foreach (RuleEvidence evidence in rule.Evidence)
            {
                text.Append("    evidence: ").Append(evidence.Kind).Append(' ').AppendLine(evidence.Reference);
            }
        }

        return text.ToString();
    }
}

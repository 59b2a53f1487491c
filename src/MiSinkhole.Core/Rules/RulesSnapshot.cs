using System.Text;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Rules;

/// <summary>
/// The compiled lists and the policies that use them, as one immutable unit. The engine swaps a
/// whole snapshot at once, so a query sees either the old rules or the new ones, never a mix.
/// </summary>
public sealed class RulesSnapshot
{
    public RulesSnapshot(CompiledRuleSet rules, IReadOnlyDictionary<string, CompiledPolicy> policies, CompiledPolicy defaultPolicy)
    {
        Rules = rules;
        Policies = policies;
        DefaultPolicy = defaultPolicy;
        ListNamesUtf8 = [.. rules.ListNames.Select(Encoding.UTF8.GetBytes)];
    }

    public CompiledRuleSet Rules { get; }

    public IReadOnlyDictionary<string, CompiledPolicy> Policies { get; }

    /// <summary>The policy of every client that matches no device.</summary>
    public CompiledPolicy DefaultPolicy { get; }

    /// <summary>List names as UTF-8, the extra text of an Extended DNS Error "Blocked".</summary>
    public byte[][] ListNamesUtf8 { get; }

    public string ListName(int index) => Rules.ListNames[index];
}

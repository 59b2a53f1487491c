using System.Text;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Rules;

/// <summary>
/// The compiled lists, the policies that use them and the devices that use those, as one
/// immutable unit, with the options they were compiled from. The engine swaps a whole snapshot
/// at once, so a query sees either the old config or the new one, never a mix.
/// </summary>
public sealed class RulesSnapshot
{
    public RulesSnapshot(CompiledRuleSet rules, IReadOnlyDictionary<string, CompiledPolicy> policies, CompiledPolicy defaultPolicy,
        DeviceTable? devices = null, SinkholeOptions? options = null)
    {
        Rules = rules;
        Policies = policies;
        DefaultPolicy = defaultPolicy;
        Devices = devices ?? DeviceTable.Empty;
        Options = options ?? new SinkholeOptions();
        ListNamesUtf8 = [.. rules.ListNames.Select(Encoding.UTF8.GetBytes)];
    }

    public DeviceTable Devices { get; }

    /// <summary>Rules read per list (by list index), for metrics; empty for hand-made snapshots.</summary>
    public IReadOnlyList<int> ListRuleCounts { get; init; } = [];

    /// <summary>When the snapshot was compiled.</summary>
    public DateTimeOffset CompiledAt { get; init; }

    /// <summary>The configuration this snapshot was compiled from.</summary>
    public SinkholeOptions Options { get; }

    public CompiledRuleSet Rules { get; }

    public IReadOnlyDictionary<string, CompiledPolicy> Policies { get; }

    /// <summary>The policy of every client that matches no device.</summary>
    public CompiledPolicy DefaultPolicy { get; }

    /// <summary>List names as UTF-8, the extra text of an Extended DNS Error "Blocked".</summary>
    public byte[][] ListNamesUtf8 { get; }

    public string ListName(int index) => Rules.ListNames[index];
}

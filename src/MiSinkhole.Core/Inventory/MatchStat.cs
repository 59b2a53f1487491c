using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Inventory;

/// <summary>The live counter behind a <see cref="MatchRecord"/> (guarded by its entry's lock).</summary>
internal sealed class MatchStat(string name, string list, string? rule, PolicyAction action)
{
    public string Name { get; } = name;

    public string List { get; } = list;

    public string? Rule { get; } = rule;

    public PolicyAction Action { get; } = action;

    public long Count { get; set; }

    public long LastSeen { get; set; }
}

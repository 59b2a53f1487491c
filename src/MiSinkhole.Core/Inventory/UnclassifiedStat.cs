namespace MiSinkhole.Core.Inventory;

/// <summary>The live counter behind an <see cref="UnclassifiedName"/> (guarded by its entry's lock).</summary>
internal sealed class UnclassifiedStat(string name, string list, long firstSeen)
{
    public string Name { get; } = name;

    /// <summary>The zone list it was last found under (a reload may rename or split zone lists).</summary>
    public string List { get; set; } = list;

    public long FirstSeen { get; } = firstSeen;

    public long Count { get; set; }

    public long LastSeen { get; set; }
}

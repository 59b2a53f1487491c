using System.Numerics;

namespace MiSinkhole.Rules;

/// <summary>
/// Collects rule keys per list and compiles them into a <see cref="CompiledRuleSet"/>. Keys go
/// straight into a growing open-addressing table, so building needs no second copy of the rules.
/// Not thread-safe; build off to the side, then publish the result.
/// </summary>
public sealed class RuleSetBuilder
{
    public const int MaxLists = 64;
    private const double MaxLoad = 0.6;

    private readonly string[] _listNames;
    private readonly List<ulong> _listMasks = [0];
    private readonly Dictionary<ulong, ushort> _maskIds = new() { [0] = 0 };
    private ulong[] _keys;
    private ushort[] _values;
    private int _count;
    private bool _built;

    public RuleSetBuilder(IReadOnlyList<string> listNames, int expectedRules = 0)
    {
        if (listNames.Count > MaxLists)
        {
            throw new ArgumentException($"at most {MaxLists} lists can be compiled together, got {listNames.Count}", nameof(listNames));
        }

        _listNames = [.. listNames];
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, (int)(expectedRules / MaxLoad) + 1));
        _keys = new ulong[capacity];
        _values = new ushort[capacity];
    }

    public int Count => _count;

    /// <summary>Adds a lowercased dotted name to list <paramref name="listIndex"/>.</summary>
    public void Add(ReadOnlySpan<char> lowerName, int listIndex) => AddKey(DomainHash.OfText(lowerName), listIndex);

    public void AddKey(ulong key, int listIndex)
    {
        ObjectDisposedException.ThrowIf(_built, this);
        if ((uint)listIndex >= (uint)_listNames.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(listIndex));
        }

        if (_count + 1 > _keys.Length * MaxLoad)
        {
            Grow();
        }

        ulong bit = 1UL << listIndex;
        int mask = _keys.Length - 1;
        int slot = (int)key & mask;
        while (true)
        {
            ulong k = _keys[slot];
            if (k == key)
            {
                _values[slot] = MaskId(_listMasks[_values[slot]] | bit);
                return;
            }

            if (k == 0)
            {
                _keys[slot] = key;
                _values[slot] = MaskId(bit);
                _count++;
                return;
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Compiles the set. The builder hands its tables over and cannot be used afterwards.</summary>
    public CompiledRuleSet Build()
    {
        ObjectDisposedException.ThrowIf(_built, this);
        _built = true;
        // Prefilter: about 8 bits per rule, one bit per key (top bits of the key).
        int filterBits = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, _count * 8));
        var filter = new ulong[filterBits / 64];
        int shift = 64 - BitOperations.Log2((uint)filterBits);
        foreach (ulong key in _keys)
        {
            if (key != 0)
            {
                ulong bit = key >> shift;
                filter[bit >> 6] |= 1UL << (int)(bit & 63);
            }
        }

        return new CompiledRuleSet(_keys, _values, [.. _listMasks], filter, _listNames, _count);
    }

    private ushort MaskId(ulong mask)
    {
        if (!_maskIds.TryGetValue(mask, out ushort id))
        {
            id = checked((ushort)_listMasks.Count);
            _listMasks.Add(mask);
            _maskIds.Add(mask, id);
        }

        return id;
    }

    private void Grow()
    {
        ulong[] oldKeys = _keys;
        ushort[] oldValues = _values;
        _keys = new ulong[oldKeys.Length * 2];
        _values = new ushort[oldKeys.Length * 2];
        int mask = _keys.Length - 1;
        for (int i = 0; i < oldKeys.Length; i++)
        {
            ulong key = oldKeys[i];
            if (key == 0)
            {
                continue;
            }

            int slot = (int)key & mask;
            while (_keys[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _keys[slot] = key;
            _values[slot] = oldValues[i];
        }
    }
}

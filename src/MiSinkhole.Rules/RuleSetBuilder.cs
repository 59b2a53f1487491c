using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace MiSinkhole.Rules;

/// <summary>
/// Collects rules per list and compiles them into a <see cref="CompiledRuleSet"/>. Name rules go
/// straight into a growing open-addressing table of 64-bit name hashes, so building needs no
/// second copy of the rules; each slot points at a shared <see cref="RuleCombo"/>. Rules with
/// <c>$dnstype</c> or a pattern are kept aside; <c>$badfilter</c> rules are applied at the end,
/// across all lists. Not thread-safe; build off to the side, then publish the result.
/// </summary>
public sealed class RuleSetBuilder : IRuleSink
{
    public const int MaxLists = 64;
    private const double MaxLoad = 0.6;

    private readonly string[] _listNames;
    private readonly List<RuleCombo> _combos = [default];
    private readonly Dictionary<RuleCombo, ushort> _comboIds = new() { [default] = 0 };
    private readonly Dictionary<ulong, List<SpecialRule>> _typed = [];
    private readonly List<SpecialRule> _patterns = [];
    private readonly Dictionary<(ulong Zone, ulong Label), ushort> _shapes = [];
    private readonly List<(ulong Key, AdblockRule Rule)> _badFilters = [];
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

    /// <summary>Distinct rule names in the table.</summary>
    public int Count => _count;

    /// <summary>Adds a lowercased dotted name (itself and its subdomains) to list <paramref name="listIndex"/>.</summary>
    public void Add(ReadOnlySpan<char> lowerName, int listIndex) =>
        AddName(DomainHash.OfText(lowerName), listIndex, RuleScope.NameAndSubdomains, exception: false, important: false);

    /// <summary>Adds a parsed adblock rule; <paramref name="lowerName"/> is its name (empty for patterns).</summary>
    public void Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex)
    {
        ulong key = rule.Scope == RuleScope.Pattern && rule.ShapeLabel is null ? 0 : DomainHash.OfText(lowerName);
        if (rule.IsBadFilter)
        {
            _badFilters.Add((key, rule));
            return;
        }

        if (rule.ShapeLabel is not null && rule.Types is null)
        {
            CheckList(listIndex);
            (ulong, ulong) shape = (DomainHash.OfText(lowerName), ShapeLabelKey(rule.ShapeLabel));
            RuleCombo add = RuleCombo.For(RuleScope.ExactName, rule.IsException, rule.IsImportant, 1UL << listIndex);
            _shapes[shape] = ComboId(_shapes.TryGetValue(shape, out ushort id) ? _combos[id].Or(add) : add);
            return;
        }

        if (rule.Scope == RuleScope.Pattern || rule.Types is not null)
        {
            CheckList(listIndex);
            Regex? pattern = rule.Pattern is null ? null : new Regex(rule.Pattern, AdblockRuleParser.PatternOptions);
            var special = new SpecialRule(listIndex, rule.Scope, rule.IsException, rule.IsImportant, rule.Types, pattern);
            if (pattern is not null)
            {
                _patterns.Add(special);
            }
            else
            {
                if (!_typed.TryGetValue(key, out List<SpecialRule>? rules))
                {
                    _typed[key] = rules = [];
                }

                rules.Add(special);
            }

            return;
        }

        AddName(key, listIndex, rule.Scope, rule.IsException, rule.IsImportant);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IRuleSink.Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex, int line)
    {
        if (rule == default)
        {
            AddName(DomainHash.OfText(lowerName), listIndex, RuleScope.NameAndSubdomains, exception: false, important: false);
        }
        else
        {
            Add(rule, lowerName, listIndex);
        }
    }

    /// <summary>Compiles the set. The builder hands its tables over and cannot be used afterwards.</summary>
    public CompiledRuleSet Build()
    {
        ObjectDisposedException.ThrowIf(_built, this);
        _built = true;
        ApplyBadFilters();

        // Prefilter: about 8 bits per name, one bit per key (top bits of the key).
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

        Dictionary<ulong, SpecialRule[]>? typed = _typed.Count == 0 ? null : _typed.ToDictionary(p => p.Key, p => p.Value.ToArray());
        return new CompiledRuleSet(_keys, _values, [.. _combos], filter, _listNames, _count, typed, [.. _patterns], ShapeTable.Build(_shapes));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddName(ulong key, int listIndex, RuleScope scope, bool exception, bool important)
    {
        ObjectDisposedException.ThrowIf(_built, this);
        CheckList(listIndex);
        if (_count + 1 > _keys.Length * MaxLoad)
        {
            Grow();
        }

        RuleCombo add = RuleCombo.For(scope, exception, important, 1UL << listIndex);
        int slot = FindSlot(key);
        if (_keys[slot] == key)
        {
            _values[slot] = ComboId(_combos[_values[slot]].Or(add));
            return;
        }

        _keys[slot] = key;
        _values[slot] = ComboId(add);
        _count++;
    }

    /// <summary>The slot holding <paramref name="key"/>, or the empty slot where it would go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindSlot(ulong key)
    {
        int mask = _keys.Length - 1;
        int slot = (int)key & mask;
        while (_keys[slot] != key && _keys[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }

    /// <summary>A <c>$badfilter</c> rule disables the same rule (same name, scope, kind) in every list.</summary>
    private void ApplyBadFilters()
    {
        ulong allLists = _listNames.Length == 64 ? ulong.MaxValue : (1UL << _listNames.Length) - 1;
        foreach ((ulong key, AdblockRule rule) in _badFilters)
        {
            if (rule.ShapeLabel is not null && rule.Types is null)
            {
                (ulong, ulong) shape = (key, ShapeLabelKey(rule.ShapeLabel));
                if (_shapes.TryGetValue(shape, out ushort id))
                {
                    _shapes[shape] = ComboId(_combos[id].Without(RuleCombo.For(RuleScope.ExactName, rule.IsException, rule.IsImportant, allLists)));
                }
            }
            else if (rule.Scope == RuleScope.Pattern)
            {
                _patterns.RemoveAll(p => p.Pattern!.ToString() == rule.Pattern && p.Exception == rule.IsException && p.Types == rule.Types);
            }
            else if (rule.Types is not null)
            {
                _typed.GetValueOrDefault(key)?.RemoveAll(p => p.Scope == rule.Scope && p.Exception == rule.IsException && p.Types == rule.Types);
            }
            else
            {
                int slot = FindSlot(key);
                if (_keys[slot] == key)
                {
                    _values[slot] = ComboId(_combos[_values[slot]].Without(RuleCombo.For(rule.Scope, rule.IsException, rule.IsImportant, allLists)));
                }
            }
        }
    }

    private static ulong ShapeLabelKey(string label)
    {
        Span<byte> bytes = stackalloc byte[64];
        for (int i = 0; i < label.Length; i++)
        {
            bytes[i] = (byte)label[i];
        }

        return ShapeTable.LabelKey(bytes[..label.Length]);
    }

    private void CheckList(int listIndex)
    {
        if ((uint)listIndex >= (uint)_listNames.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(listIndex));
        }
    }

    private ushort ComboId(RuleCombo combo)
    {
        if (!_comboIds.TryGetValue(combo, out ushort id))
        {
            id = checked((ushort)_combos.Count);
            _combos.Add(combo);
            _comboIds.Add(combo, id);
        }

        return id;
    }

    private void Grow()
    {
        ulong[] oldKeys = _keys;
        ushort[] oldValues = _values;
        _keys = new ulong[oldKeys.Length * 2];
        _values = new ushort[oldKeys.Length * 2];
        for (int i = 0; i < oldKeys.Length; i++)
        {
            if (oldKeys[i] != 0)
            {
                int slot = FindSlot(oldKeys[i]);
                _keys[slot] = oldKeys[i];
                _values[slot] = oldValues[i];
            }
        }
    }
}

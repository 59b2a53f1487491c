using System.Collections;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Lists;

/// <summary>Counts rules and bad lines of a download without storing anything (validation before it replaces the cache).</summary>
internal sealed class CountingSink : IRuleSink, ICollection<RuleListError>
{
    public int Rules { get; private set; }

    public int Count { get; private set; }

    public bool IsReadOnly => false;

    public void Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex, int line) => Rules++;

    public void Add(RuleListError item) => Count++;

    public void Clear() => Count = 0;

    public bool Contains(RuleListError item) => false;

    public void CopyTo(RuleListError[] array, int arrayIndex)
    {
    }

    public bool Remove(RuleListError item) => false;

    public IEnumerator<RuleListError> GetEnumerator() => Enumerable.Empty<RuleListError>().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

namespace MiSinkhole.Rules;

/// <summary>
/// The lists that hold a query name or one of its parents. Bit i of <see cref="Lists"/> stands
/// for the list with index i in <see cref="CompiledRuleSet.ListNames"/>.
/// </summary>
public readonly record struct RuleMatch(ulong Lists)
{
    public bool IsMatch => Lists != 0;
}

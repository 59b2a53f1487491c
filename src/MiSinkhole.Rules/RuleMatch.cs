namespace MiSinkhole.Rules;

/// <summary>
/// The lists whose rules cover a query name (bit i = list i in <see cref="CompiledRuleSet.ListNames"/>):
/// ordinary rules, <c>@@</c> exceptions, and the subset of ordinary rules marked <c>$important</c>.
/// </summary>
public readonly record struct RuleMatch(ulong Lists, ulong Exceptions = 0, ulong Important = 0)
{
    public bool IsMatch => (Lists | Exceptions) != 0;

    internal RuleMatch Add(in RuleCombo combo, bool atName) => atName
        ? new RuleMatch(Lists | combo.ListsAtName, Exceptions | combo.ExceptionsAtName, Important | combo.ImportantAtName)
        : new RuleMatch(Lists | combo.ListsAtParent, Exceptions | combo.ExceptionsAtParent, Important | combo.ImportantAtParent);
}

namespace MiSinkhole.Rules;

/// <summary>
/// What the rules stored under one name say, per list (bit i = list i), split by where the
/// query name stands relative to the rule's name: the name itself, or one of its subdomains.
/// Shared by every rule name with the same combination, so a table slot holds only an index.
/// </summary>
internal readonly record struct RuleCombo(
    ulong ListsAtName,
    ulong ListsAtParent,
    ulong ExceptionsAtName,
    ulong ExceptionsAtParent,
    ulong ImportantAtName,
    ulong ImportantAtParent)
{
    public static RuleCombo For(RuleScope scope, bool exception, bool important, ulong bit)
    {
        ulong atName = scope is RuleScope.NameAndSubdomains or RuleScope.ExactName ? bit : 0;
        ulong atParent = scope is RuleScope.NameAndSubdomains or RuleScope.SubdomainsOnly ? bit : 0;
        return exception
            ? new RuleCombo(0, 0, atName, atParent, 0, 0)
            : new RuleCombo(atName, atParent, 0, 0, important ? atName : 0, important ? atParent : 0);
    }

    public RuleCombo Or(RuleCombo other) => new(
        ListsAtName | other.ListsAtName,
        ListsAtParent | other.ListsAtParent,
        ExceptionsAtName | other.ExceptionsAtName,
        ExceptionsAtParent | other.ExceptionsAtParent,
        ImportantAtName | other.ImportantAtName,
        ImportantAtParent | other.ImportantAtParent);

    public RuleCombo Without(RuleCombo other) => new(
        ListsAtName & ~other.ListsAtName,
        ListsAtParent & ~other.ListsAtParent,
        ExceptionsAtName & ~other.ExceptionsAtName,
        ExceptionsAtParent & ~other.ExceptionsAtParent,
        ImportantAtName & ~other.ImportantAtName,
        ImportantAtParent & ~other.ImportantAtParent);
}

using MiSinkhole.Dns;

namespace MiSinkhole.Rules.Tests;

[TestClass]
public sealed class CompiledRuleSetTests
{
    private static CompiledRuleSet Build(params (string Name, int List)[] rules)
    {
        var builder = new RuleSetBuilder(["zero", "one", "two"]);
        foreach ((string name, int list) in rules)
        {
            builder.Add(name, list);
        }

        return builder.Build();
    }

    [TestMethod]
    public void Match_NameAndEverySubdomain_ButNotParentsOrSiblings()
    {
        CompiledRuleSet set = Build(("tracking.miui.com", 0));

        Assert.IsTrue(set.Match("tracking.miui.com").IsMatch);
        Assert.IsTrue(set.Match("a.b.TRACKING.miui.com.").IsMatch);
        Assert.IsFalse(set.Match("miui.com").IsMatch);
        Assert.IsFalse(set.Match("xtracking.miui.com").IsMatch);
        Assert.IsFalse(set.Match("tracking.miui.com.evil.example").IsMatch);
        Assert.IsFalse(set.Match("com").IsMatch);
    }

    [TestMethod]
    public void Match_ReportsEveryListHoldingTheNameOrAParent()
    {
        CompiledRuleSet set = Build(("example.com", 0), ("ads.example.com", 1), ("ads.example.com", 2), ("other.org", 2));

        Assert.AreEqual(0b111UL, set.Match("x.ads.example.com").Lists);
        Assert.AreEqual(0b001UL, set.Match("www.example.com").Lists);
        Assert.AreEqual(0b100UL, set.Match("other.org").Lists);
        Assert.AreEqual(0UL, set.Match("example.org").Lists);
        Assert.AreEqual(3, set.Count, "a name in two lists is stored once");
    }

    [TestMethod]
    public void Match_OnWireNames_AllocatesNothing()
    {
        CompiledRuleSet set = Build(("tracking.miui.com", 0));
        byte[] hit = DnsName.FromText("a.tracking.miui.com");
        byte[] miss = DnsName.FromText("www.example.org");
        set.Match(hit);
        set.Match(miss);

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool matched = false;
        for (int i = 0; i < 1000; i++)
        {
            matched |= set.Match(hit).IsMatch;
            matched &= !set.Match(miss).IsMatch;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsTrue(matched);
        Assert.AreEqual(0L, allocated);
    }

    [TestMethod]
    public void LargeSet_FindsEveryRule_AndNoFalsePositives()
    {
        var builder = new RuleSetBuilder(["big"]);
        var random = new Random(3);
        var names = new List<string>();
        for (int i = 0; i < 200_000; i++)
        {
            string name = $"h{random.Next():x}.d{i}.example";
            names.Add(name);
            builder.Add(name, 0);
        }

        CompiledRuleSet set = builder.Build();

        Assert.AreEqual(200_000, set.Count);
        Assert.IsTrue(names.All(n => set.Match("sub." + n).IsMatch));
        Assert.AreEqual(0, Enumerable.Range(0, 200_000).Count(i => set.Match($"nope{i}.d{i}.example").IsMatch));
    }

    [TestMethod]
    public void Empty_MatchesNothing_AndTooManyListsAreRefused()
    {
        Assert.IsFalse(CompiledRuleSet.Empty.Match("anything.example").IsMatch);
        Assert.ThrowsExactly<ArgumentException>(() => new RuleSetBuilder([.. Enumerable.Range(0, 65).Select(i => $"l{i}")]));
    }
}

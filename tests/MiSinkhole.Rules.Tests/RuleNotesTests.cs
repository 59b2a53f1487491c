namespace MiSinkhole.Rules.Tests;

[TestClass]
public sealed class RuleNotesTests
{
    private static readonly string[] List =
    [
        "# --- a section ---",                                      // 1
        "# A host that reports.",                                  // 2
        "# breaks: the weather app's tips",                        // 3
        "#   and its alerts",                                      // 4
        "# evidence: issue-thread https://example.org/issues/1;",  // 5
        "#   curated-list owner/repo:path/list.txt",               // 6
        "reports.example.com",                                     // 7
        "more.example.com   # same paragraph, same notes",        // 8
        "",                                                        // 9
        "# Another paragraph without notes.",                      // 10
        "other.example.com",                                       // 11
    ];

    [TestMethod]
    public void NotesOfTheParagraph_WithContinuationsAndSeveralEvidenceItems()
    {
        RuleNotes first = RuleNotes.Of(List, 7);
        RuleNotes second = RuleNotes.Of(List, 8);

        Assert.AreEqual("the weather app's tips and its alerts", first.Breaks);
        CollectionAssert.AreEqual(
            new[] { new RuleEvidence("issue-thread", "https://example.org/issues/1"), new RuleEvidence("curated-list", "owner/repo:path/list.txt") },
            first.Evidence.ToArray());
        Assert.AreEqual(first.Breaks, second.Breaks);
        CollectionAssert.AreEqual(first.Evidence.ToArray(), second.Evidence.ToArray());
    }

    [TestMethod]
    public void NotesRightAboveARule_AreItsOwn_ARuleWithoutSharesTheOneAbove()
    {
        string[] list =
        [
            "# A section about two hosts.",                         // 1
            "# evidence: research https://example.org/write-up",    // 2
            "first.example.com",                                    // 3
            "# evidence: curated-list owner/repo:list.txt",         // 4
            "# breaks: the second host's widget",                   // 5
            "second.example.com",                                   // 6
            "third.example.com",                                    // 7
        ];

        var head = new RuleEvidence("research", "https://example.org/write-up");
        CollectionAssert.AreEqual(new[] { head }, RuleNotes.Of(list, 3).Evidence.ToArray());
        Assert.IsNull(RuleNotes.Of(list, 3).Breaks);
        var own = new RuleEvidence("curated-list", "owner/repo:list.txt");
        CollectionAssert.AreEqual(new[] { own }, RuleNotes.Of(list, 6).Evidence.ToArray());
        Assert.AreEqual("the second host's widget", RuleNotes.Of(list, 6).Breaks);
        CollectionAssert.AreEqual(new[] { own }, RuleNotes.Of(list, 7).Evidence.ToArray());
        Assert.AreEqual("the second host's widget", RuleNotes.Of(list, 7).Breaks);
    }

    [TestMethod]
    public void ABlankLineEndsTheParagraph()
    {
        Assert.AreSame(RuleNotes.None, RuleNotes.Of(List, 11));
    }
}

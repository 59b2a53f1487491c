namespace MiSinkhole.Rules;

/// <summary>
/// The machine-readable notes of a rule in a curated list: <c># evidence: KIND REFERENCE</c>
/// (several separated by <c>;</c>) and <c># breaks: WHAT</c>, a line starting <c>#   </c>
/// continuing the note above it. A rule's notes are those in the comment lines right above it;
/// a rule with none there shares the notes of the rule above it in the same paragraph (the lines
/// since the last blank line), so a group of rules can carry one note. <c>KIND</c> is one of
/// <see cref="Kinds"/>.
/// </summary>
public sealed record RuleNotes(IReadOnlyList<RuleEvidence> Evidence, string? Breaks)
{
    /// <summary>The kinds of evidence a note may give.</summary>
    public static readonly string[] Kinds = ["research", "decompiled-code", "curated-list", "issue-thread", "vendor-doc"];

    public static RuleNotes None { get; } = new([], null);

    /// <summary>The notes of the rule on <paramref name="line"/> (1-based) of a list's <paramref name="lines"/>.</summary>
    public static RuleNotes Of(IReadOnlyList<string> lines, int line)
    {
        int start = line - 1;
        while (start > 0 && lines[start - 1].Trim().Length > 0)
        {
            start--;
        }

        // Walk the paragraph down to the rule: each rule with comments of its own that carry
        // notes starts a new set; a rule without them keeps the set of the rule above.
        var reader = new RuleNotesReader();
        for (int i = start; i < line && i < lines.Count; i++)
        {
            reader.Line(lines[i]);
        }

        return reader.Current;
    }

    /// <summary>The notes that comment lines <paramref name="from"/> to <paramref name="to"/> (exclusive) of <paramref name="lines"/> carry; <see cref="None"/> if none.</summary>
    internal static RuleNotes FromComments(IReadOnlyList<string> lines, int from, int to)
    {
        var evidence = new List<RuleEvidence>();
        string? breaks = null;
        Read(lines, from, to, evidence, ref breaks);
        return evidence.Count == 0 && breaks is null ? None : new RuleNotes(evidence, breaks);
    }

    internal static bool IsComment(string line) => line.TrimStart().StartsWith('#');

    private static void Read(IReadOnlyList<string> lines, int from, int to, List<RuleEvidence> evidence, ref string? breaks)
    {
        string? open = null;
        var text = new System.Text.StringBuilder();
        string? found = breaks;
        void Close()
        {
            if (open == "evidence")
            {
                foreach (string item in text.ToString().Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    int space = item.IndexOf(' ', StringComparison.Ordinal);
                    evidence.Add(space < 0 ? new RuleEvidence(item, "") : new RuleEvidence(item[..space], item[(space + 1)..].Trim()));
                }
            }
            else if (open == "breaks")
            {
                found = text.ToString().Trim();
            }

            open = null;
            text.Clear();
        }

        for (int i = from; i < to && i < lines.Count; i++)
        {
            string current = lines[i];
            if (open is not null && current.StartsWith("#   ", StringComparison.Ordinal))
            {
                text.Append(' ').Append(current[1..].Trim());
                continue;
            }

            Close();
            string comment = IsComment(current) ? current.TrimStart()[1..].Trim() : "";
            foreach (string key in (string[])["evidence", "breaks"])
            {
                if (comment.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase))
                {
                    open = key;
                    text.Append(comment[(key.Length + 1)..].Trim());
                }
            }
        }

        Close();
        breaks = found;
    }
}

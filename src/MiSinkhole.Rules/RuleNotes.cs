namespace MiSinkhole.Rules;

/// <summary>
/// The machine-readable notes of a rule in a curated list: <c># evidence: KIND REFERENCE</c>
/// (several separated by <c>;</c>) and <c># breaks: WHAT</c>, in the comment paragraph the rule
/// belongs to (the lines since the last blank line), a line starting <c>#   </c> continuing the
/// note above it. <c>KIND</c> is one of <see cref="Kinds"/>.
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

        var evidence = new List<RuleEvidence>();
        string? breaks = null;
        string? open = null;
        var text = new System.Text.StringBuilder();
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
                breaks = text.ToString().Trim();
            }

            open = null;
            text.Clear();
        }

        for (int i = start; i < line - 1 && i < lines.Count; i++)
        {
            string current = lines[i];
            if (open is not null && current.StartsWith("#   ", StringComparison.Ordinal))
            {
                text.Append(' ').Append(current[1..].Trim());
                continue;
            }

            Close();
            string comment = current.TrimStart().StartsWith('#') ? current.TrimStart()[1..].Trim() : "";
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
        return evidence.Count == 0 && breaks is null ? None : new RuleNotes(evidence, breaks);
    }
}

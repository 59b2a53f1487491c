namespace MiSinkhole.Rules;

/// <summary>
/// <see cref="RuleNotes"/> in one pass over a list, line by line: what <see cref="RuleNotes.Of"/>
/// finds for one rule, for every rule of a list at the cost of reading it once (the explainer's
/// index of rule lines). A blank line ends a paragraph; comment lines are kept until the next
/// rule line, whose own notes they are if they carry any, else it shares those of the rule above
/// in the paragraph.
/// </summary>
public sealed class RuleNotesReader
{
    private readonly List<string> _comments = [];

    /// <summary>The notes of the last rule line read (<see cref="RuleNotes.None"/> at the start of a paragraph).</summary>
    public RuleNotes Current { get; private set; } = RuleNotes.None;

    /// <summary>Reads any line: blank, comment or rule.</summary>
    public void Line(string line)
    {
        if (line.Trim().Length == 0)
        {
            Blank();
        }
        else if (RuleNotes.IsComment(line))
        {
            Comment(line);
        }
        else
        {
            Rule();
        }
    }

    /// <summary>A blank line: the paragraph ends.</summary>
    public void Blank()
    {
        _comments.Clear();
        Current = RuleNotes.None;
    }

    /// <summary>A comment line (<c>#</c> after optional whitespace).</summary>
    public void Comment(string line) => _comments.Add(line);

    /// <summary>A line that is neither blank nor a comment; returns its notes.</summary>
    public RuleNotes Rule()
    {
        if (_comments.Count > 0)
        {
            RuleNotes own = RuleNotes.FromComments(_comments, 0, _comments.Count);
            if (!ReferenceEquals(own, RuleNotes.None))
            {
                Current = own;
            }

            _comments.Clear();
        }

        return Current;
    }
}

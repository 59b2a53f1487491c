using System.Text;
using System.Text.RegularExpressions;
using MiSinkhole.Rules;

namespace MiSinkhole.Core.Explain;

/// <summary>
/// Where the rules of one list are written, for explain: each name rule by its
/// <see cref="DomainHash"/> (sorted, found by binary search for every suffix of the explained
/// name) with its source, line, byte offset of the line, scope and modifiers; patterns and
/// <c>$dnstype</c> rules beside them; the evidence notes of the rules that have any. Built once
/// per list and config snapshot (by <see cref="RuleExplainer"/>, on the first explain that needs
/// the list): the list is parsed once and its files scanned once for line offsets and notes, and
/// an explain then costs a few binary searches and one short read per rule it shows. 12 bytes
/// and a key per name rule; no rule text is kept (the line is read back at its offset).
/// </summary>
public sealed class ListLineIndex
{
    private const byte Exception = 4;
    private const byte Important = 8;

    private readonly string _list;
    private readonly string[] _sources;
    private readonly ulong[] _keys;
    private readonly Entry[] _entries;
    private readonly int _count;
    private readonly Special[] _specials;
    private readonly Dictionary<(ushort Source, int Line), RuleNotes> _notes;

    private ListLineIndex(string list, string[] sources, Sink sink, Dictionary<(ushort, int), RuleNotes> notes)
    {
        _list = list;
        _sources = sources;
        _keys = sink.Keys;
        _entries = sink.Entries;
        _count = sink.Count;
        _specials = [.. sink.Specials];
        _notes = notes;
    }

    /// <summary>Name rules indexed (patterns and <c>$dnstype</c> rules not counted).</summary>
    public int Count => _count;

    /// <summary>Reads the list's sources (those that exist; a list has at most 65,535) into an index.</summary>
    public static ListLineIndex Build(string list, IReadOnlyList<string> sources, int listIndex)
    {
        string[] files = [.. sources.Where(File.Exists).Take(ushort.MaxValue)];
        // A hosts line is ~30 bytes: sized once, so a million-name list is not copied while it grows.
        var sink = new Sink((int)Math.Min(files.Sum(f => new FileInfo(f).Length) / 24, 50_000_000));
        var notes = new Dictionary<(ushort, int), RuleNotes>();
        for (int s = 0; s < files.Length; s++)
        {
            (int first, int firstSpecial) = (sink.Count, sink.Specials.Count);
            sink.Source = (ushort)s;
            try
            {
                using (var reader = new StreamReader(files[s], Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16))
                {
                    RuleListParser.Parse(reader, files[s], sink, listIndex, new List<RuleListError>());
                }

                ScanLines(files[s], (ushort)s, sink, first, firstSpecial, notes);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Unreadable now: explain shows no lines from it.
                sink.Count = first;
                sink.Specials.RemoveRange(firstSpecial, sink.Specials.Count - firstSpecial);
            }
        }

        Array.Sort(sink.Keys, sink.Entries, 0, sink.Count);
        return new ListLineIndex(list, files, sink, notes);
    }

    /// <summary>The rules of this list that cover <paramref name="name"/> (lowercase, dotted) asked with <paramref name="type"/>, in the order they are written.</summary>
    public IEnumerable<MatchedRule> Find(string name, ushort type)
    {
        var found = new List<(Entry Entry, RuleScope Scope)>();
        var suffixes = new List<ulong>();
        for (int start = 0; start < name.Length;)
        {
            suffixes.Add(DomainHash.OfText(name.AsSpan(start)));
            int dot = name.IndexOf('.', start);
            start = dot < 0 ? name.Length : dot + 1;
        }

        for (int suffix = 0; suffix < suffixes.Count; suffix++)
        {
            ulong key = suffixes[suffix];
            int at = Array.BinarySearch(_keys, 0, _count, key);
            while (at > 0 && _keys[at - 1] == key)
            {
                at--;
            }

            for (; at >= 0 && at < _count && _keys[at] == key; at++)
            {
                if (Covers((RuleScope)(_entries[at].Flags & 3), suffix))
                {
                    found.Add((_entries[at], (RuleScope)(_entries[at].Flags & 3)));
                }
            }
        }

        foreach (Special special in _specials)
        {
            if (special.Types is not null && !special.Types.Applies(type))
            {
                continue;
            }

            if (special.Pattern is not null ? special.Pattern.IsMatch(name) : suffixes.IndexOf(special.Key) is int suffix and >= 0 && Covers(special.Scope, suffix))
            {
                found.Add((special.Entry, special.Scope));
            }
        }

        return found.OrderBy(f => f.Entry.Source).ThenBy(f => f.Entry.Line).Select(f =>
        {
            string source = _sources[f.Entry.Source];
            RuleNotes notes = _notes.GetValueOrDefault((f.Entry.Source, f.Entry.Line), RuleNotes.None);
            return new MatchedRule(_list, source, f.Entry.Line, ReadLine(source, f.Entry.Offset) ?? name, f.Scope, (f.Entry.Flags & Exception) != 0, (f.Entry.Flags & Important) != 0)
            {
                Evidence = notes.Evidence,
                Breaks = notes.Breaks,
            };
        });
    }

    /// <summary>Whether a rule of <paramref name="scope"/> for the name's suffix number <paramref name="suffix"/> (0: the name itself) covers the name.</summary>
    private static bool Covers(RuleScope scope, int suffix) => scope switch
    {
        RuleScope.ExactName => suffix == 0,
        RuleScope.SubdomainsOnly => suffix > 0,
        _ => true,
    };

    /// <summary>
    /// One pass over the file's bytes: the offset of each line a rule was read from (the rules of
    /// this source are in line order), and the notes of each rule line that has any.
    /// </summary>
    private static void ScanLines(string path, ushort source, Sink sink, int first, int firstSpecial, Dictionary<(ushort, int), RuleNotes> notes)
    {
        var reader = new RuleNotesReader();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        byte[] buffer = new byte[1 << 16];
        byte[] line = new byte[4096]; // the start of the line: all a rule line needs, and enough of a comment
        int kept = 0;
        long offset = 0;
        long lineStart = 0;
        int number = 1;
        int next = first;
        int nextSpecial = firstSpecial;
        void EndLine()
        {
            uint at = lineStart > uint.MaxValue ? uint.MaxValue : (uint)lineStart;
            for (; next < sink.Count && sink.Entries[next].Line == number; next++)
            {
                sink.Entries[next] = sink.Entries[next] with { Offset = at };
            }

            for (; nextSpecial < sink.Specials.Count && sink.Specials[nextSpecial].Entry.Line == number; nextSpecial++)
            {
                sink.Specials[nextSpecial] = sink.Specials[nextSpecial] with { Entry = sink.Specials[nextSpecial].Entry with { Offset = at } };
            }

            ReadOnlySpan<byte> text = line.AsSpan(0, kept).TrimStart(" \t\r\v\f"u8);
            if (number == 1 && text.StartsWith("\uFEFF"u8))
            {
                text = text[3..].TrimStart(" \t\r\v\f"u8);
            }

            if (text.IsEmpty)
            {
                reader.Blank();
            }
            else if (text[0] == (byte)'#')
            {
                reader.Comment(Encoding.UTF8.GetString(text));
            }
            else if (reader.Rule() is { } own && !ReferenceEquals(own, RuleNotes.None))
            {
                notes[(source, number)] = own;
            }

            kept = 0;
            number++;
            lineStart = offset;
        }

        int read;
        while ((read = file.Read(buffer)) > 0)
        {
            ReadOnlySpan<byte> chunk = buffer.AsSpan(0, read);
            while (true)
            {
                int newline = chunk.IndexOf((byte)'\n');
                ReadOnlySpan<byte> part = newline < 0 ? chunk : chunk[..newline];
                int copy = Math.Min(part.Length, line.Length - kept);
                part[..copy].CopyTo(line.AsSpan(kept));
                kept += copy;
                if (newline < 0)
                {
                    offset += chunk.Length;
                    break;
                }

                offset += newline + 1;
                EndLine();
                chunk = chunk[(newline + 1)..];
            }
        }

        if (lineStart < offset)
        {
            EndLine(); // the last line, without a line break
        }
    }

    /// <summary>The trimmed line at <paramref name="offset"/> of the file; null if it cannot be read.</summary>
    private static string? ReadLine(string path, uint offset)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            file.Seek(offset, SeekOrigin.Begin);
            byte[] buffer = new byte[4096];
            int length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            ReadOnlySpan<byte> text = buffer.AsSpan(0, length);
            int newline = text.IndexOf((byte)'\n');
            text = newline >= 0 ? text[..newline] : text;
            if (offset == 0 && text.StartsWith("\uFEFF"u8))
            {
                text = text[3..];
            }

            return Encoding.UTF8.GetString(text).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Where a rule is written, and what kind it is (scope in the low two bits, then exception and important).</summary>
    private readonly record struct Entry(uint Offset, int Line, ushort Source, byte Flags);

    /// <summary>A pattern, or a name rule with <c>$dnstype</c>: few, checked one by one.</summary>
    private sealed record Special(Entry Entry, RuleScope Scope, ulong Key, DnsTypeFilter? Types, Regex? Pattern);

    /// <summary>
    /// Collects the rules the parser reads: name rules into two arrays (key, entry) sized up
    /// front, the rest aside. <c>$badfilter</c> rules are left out, as explain always showed them.
    /// </summary>
    private sealed class Sink(int capacity) : IRuleSink
    {
        public ushort Source { get; set; }

        public ulong[] Keys { get; private set; } = new ulong[Math.Max(16, capacity)];

        public Entry[] Entries { get; private set; } = new Entry[Math.Max(16, capacity)];

        public int Count { get; set; }

        public List<Special> Specials { get; } = [];

        public void Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex, int line)
        {
            if (rule.IsBadFilter)
            {
                return;
            }

            RuleScope scope = rule.Scope;
            byte flags = (byte)((byte)(scope == RuleScope.Pattern ? RuleScope.ExactName : scope) | (rule.IsException ? Exception : 0) | (rule.IsImportant ? Important : 0));
            var entry = new Entry(0, line, Source, flags);
            if (scope == RuleScope.Pattern || rule.Types is not null)
            {
                Regex? pattern = scope == RuleScope.Pattern ? new Regex(rule.Pattern!, AdblockRuleParser.PatternOptions) : null;
                Specials.Add(new Special(entry, scope, pattern is null ? DomainHash.OfText(lowerName) : 0, rule.Types, pattern));
                return;
            }

            if (Count == Keys.Length)
            {
                Keys = GrowTo(Keys, Count * 2);
                Entries = GrowTo(Entries, Count * 2);
            }

            Keys[Count] = DomainHash.OfText(lowerName);
            Entries[Count++] = entry;
        }

        private static T[] GrowTo<T>(T[] array, int length)
        {
            var grown = new T[length];
            array.CopyTo(grown, 0);
            return grown;
        }
    }
}

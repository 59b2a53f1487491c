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
    private readonly Dictionary<int, DnsTypeFilter> _types;
    private readonly Special[] _patterns;
    private readonly Dictionary<(ushort Source, int Line), RuleNotes> _notes;

    private ListLineIndex(string list, string[] sources, ulong[] keys, Entry[] entries, Dictionary<int, DnsTypeFilter> types, Special[] patterns,
        Dictionary<(ushort, int), RuleNotes> notes)
    {
        _list = list;
        _sources = sources;
        _keys = keys;
        _entries = entries;
        _types = types;
        _patterns = patterns;
        _notes = notes;
    }

    /// <summary>Name rules indexed (patterns not counted).</summary>
    public int Count => _keys.Length;

    /// <summary>Reads the list's sources (those that exist; a list has at most 65,535) into an index.</summary>
    public static ListLineIndex Build(string list, IReadOnlyList<string> sources, int listIndex)
    {
        var sink = new Sink();
        string[] files = [.. sources.Where(File.Exists).Take(ushort.MaxValue)];
        var notes = new Dictionary<(ushort, int), RuleNotes>();
        for (int s = 0; s < files.Length; s++)
        {
            int first = sink.Rules.Count;
            sink.Source = (ushort)s;
            try
            {
                using (var reader = new StreamReader(files[s], Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16))
                {
                    RuleListParser.Parse(reader, files[s], sink, listIndex, new List<RuleListError>());
                }

                ScanLines(files[s], (ushort)s, sink.Rules, first, notes);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                sink.Rules.RemoveRange(first, sink.Rules.Count - first); // unreadable now: explain shows no lines from it
            }
        }

        List<Found> named = [.. sink.Rules.Where(r => r.Pattern is null)];
        named.Sort((a, b) => a.Key.CompareTo(b.Key));
        var types = new Dictionary<int, DnsTypeFilter>();
        var entries = new Entry[named.Count];
        for (int i = 0; i < named.Count; i++)
        {
            entries[i] = named[i].Entry;
            if (named[i].Types is DnsTypeFilter filter)
            {
                types[i] = filter;
            }
        }

        Special[] patterns = [.. sink.Rules.Where(r => r.Pattern is not null).Select(r => new Special(r.Entry, r.Types, new Regex(r.Pattern!, AdblockRuleParser.PatternOptions)))];
        return new ListLineIndex(list, files, [.. named.Select(r => r.Key)], entries, types, patterns, notes);
    }

    /// <summary>The rules of this list that cover <paramref name="name"/> (lowercase, dotted) asked with <paramref name="type"/>, in the order they are written.</summary>
    public IEnumerable<MatchedRule> Find(string name, ushort type)
    {
        var found = new List<(Entry Entry, RuleScope Scope)>();
        for (int start = 0, suffix = 0; start < name.Length; suffix++)
        {
            ulong key = DomainHash.OfText(name.AsSpan(start));
            int at = Array.BinarySearch(_keys, key);
            if (at >= 0)
            {
                while (at > 0 && _keys[at - 1] == key)
                {
                    at--;
                }

                for (; at < _keys.Length && _keys[at] == key; at++)
                {
                    RuleScope scope = (RuleScope)(_entries[at].Flags & 3);
                    bool covers = scope switch
                    {
                        RuleScope.ExactName => suffix == 0,
                        RuleScope.SubdomainsOnly => suffix > 0,
                        _ => true,
                    };
                    if (covers && (!_types.TryGetValue(at, out DnsTypeFilter? filter) || filter.Applies(type)))
                    {
                        found.Add((_entries[at], scope));
                    }
                }
            }

            int dot = name.IndexOf('.', start);
            start = dot < 0 ? name.Length : dot + 1;
        }

        foreach (Special pattern in _patterns)
        {
            if ((pattern.Types is null || pattern.Types.Applies(type)) && pattern.Pattern.IsMatch(name))
            {
                found.Add((pattern.Entry, RuleScope.Pattern));
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

    /// <summary>
    /// One pass over the file's bytes: the offset of each line a rule was read from (the rules of
    /// this source are in line order), and the notes of each rule line that has any.
    /// </summary>
    private static void ScanLines(string path, ushort source, List<Found> rules, int first, Dictionary<(ushort, int), RuleNotes> notes)
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
        void EndLine()
        {
            while (next < rules.Count && rules[next].Entry.Line == number)
            {
                rules[next] = rules[next] with { Entry = rules[next].Entry with { Offset = lineStart > uint.MaxValue ? uint.MaxValue : (uint)lineStart } };
                next++;
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

    private sealed record Special(Entry Entry, DnsTypeFilter? Types, Regex Pattern);

    private readonly record struct Found(ulong Key, Entry Entry, DnsTypeFilter? Types, string? Pattern);

    /// <summary>Collects the rules the parser reads, with their keys; <c>$badfilter</c> rules are left out, as explain always showed them.</summary>
    private sealed class Sink : IRuleSink
    {
        public ushort Source { get; set; }

        public List<Found> Rules { get; } = [];

        public void Add(in AdblockRule rule, ReadOnlySpan<char> lowerName, int listIndex, int line)
        {
            if (rule.IsBadFilter)
            {
                return;
            }

            byte flags = (byte)((byte)(rule.Scope == RuleScope.Pattern ? RuleScope.ExactName : rule.Scope)
                | (rule.IsException ? Exception : 0) | (rule.IsImportant ? Important : 0));
            ulong key = rule.Scope == RuleScope.Pattern ? 0 : DomainHash.OfText(lowerName);
            Rules.Add(new Found(key, new Entry(0, line, Source, flags), rule.Types, rule.Scope == RuleScope.Pattern ? rule.Pattern : null));
        }
    }
}

using System.Net;
using System.Runtime.CompilerServices;

namespace MiSinkhole.Rules;

/// <summary>
/// Reads the list formats users bring from Pi-hole, AdGuard Home and Blocky, detected per line:
/// adblock DNS syntax (see <see cref="AdblockRuleParser"/>), hosts (<c>0.0.0.0 a.example
/// b.example</c>, any address in front) and plain domains (<c>a.example</c>). <c>#</c> and
/// <c>!</c> start comments. Hosts and plain names are rules for themselves and all their
/// subdomains. A bad line is reported with source and line number and skipped; the rest of the
/// list loads. Cosmetic rules and unsupported modifiers are counted as skipped.
/// </summary>
public static class RuleListParser
{
    /// <summary>Names hosts files carry for the machine itself; never rules.</summary>
    private static readonly HashSet<string> HostsFileLocalNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RuleListStats Parse(TextReader reader, string source, IRuleSink sink, int listIndex, ICollection<RuleListError> errors)
    {
        int lines = 0, rules = 0, skipped = 0, errorCount = 0;
        Span<char> lower = stackalloc char[256];
        Span<Range> tokens = stackalloc Range[64];
        var lineReader = new LineReader(reader);
        while (lineReader.TryReadLine(out ReadOnlySpan<char> line))
        {
            lines++;
            ReadOnlySpan<char> text = StripComment(line);
            if (text.IsEmpty)
            {
                continue;
            }

            switch (AdblockRuleParser.Parse(text, lower, out AdblockRule rule, out int nameLength, out string? problem))
            {
                case AdblockParseResult.Rule:
                    sink.Add(rule, lower[..nameLength], listIndex, lines);
                    rules++;
                    continue;
                case AdblockParseResult.Skipped:
                    skipped++;
                    continue;
                case AdblockParseResult.Error:
                    errors.Add(new RuleListError(source, lines, problem!, line.ToString()));
                    errorCount++;
                    continue;
            }

            // Hosts ("0.0.0.0 a.example b.example") or a plain domain.
            int tokenCount = text.SplitAny(tokens, " \t", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int first = 0;
            if (LooksLikeAddress(text[tokens[0]]))
            {
                if (tokenCount == 1)
                {
                    errors.Add(new RuleListError(source, lines, "hosts line without a name", line.ToString()));
                    errorCount++;
                    continue;
                }

                first = 1; // hosts format: the address is irrelevant, every name after it is a rule
            }
            else if (tokenCount > 1)
            {
                errors.Add(new RuleListError(source, lines, "unexpected text after the domain", line.ToString()));
                errorCount++;
                continue;
            }

            for (int t = first; t < Math.Min(tokenCount, tokens.Length); t++)
            {
                ReadOnlySpan<char> name = text[tokens[t]];
                if (HostsFileLocalNames.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name))
                {
                    skipped++;
                    continue;
                }

                string? reason = AdblockRuleParser.NormalizeName(name, lower, out int length);
                if (reason is not null)
                {
                    errors.Add(new RuleListError(source, lines, reason, line.ToString()));
                    errorCount++;
                    continue;
                }

                sink.Add(default, lower[..length], listIndex, lines);
                rules++;
            }
        }

        return new RuleListStats(lines, rules, skipped, errorCount);
    }

    /// <summary>
    /// Lowercases and validates a host name (trailing dot dropped). Returns null when valid, else
    /// the reason. Letters, digits, '-' and '_' (service labels); labels 1–63; at most 253 chars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Normalize(ReadOnlySpan<char> name, Span<char> destination, out int length)
    {
        length = 0;
        if (name.EndsWith("."))
        {
            name = name[..^1];
        }

        if (name.IsEmpty)
        {
            return "empty name";
        }

        if (name.Length > 253)
        {
            return "name longer than 253 characters";
        }

        if (LooksLikeAddress(name))
        {
            return "an IP address is not a domain name";
        }

        int labelLength = 0;
        foreach (char c in name)
        {
            char l = char.ToLowerInvariant(c);
            if (l == '.')
            {
                if (labelLength == 0)
                {
                    return "empty label";
                }

                labelLength = 0;
            }
            else if (l is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_')
            {
                if (++labelLength > 63)
                {
                    return "label longer than 63 characters";
                }
            }
            else
            {
                return l is '*' or '|' or '^' or '/' or '$' or '@'
                    ? "unsupported rule syntax"
                    : $"invalid character '{c}' in name";
            }

            destination[length++] = l;
        }

        return labelLength == 0 ? "empty label" : null;
    }

    private static readonly System.Buffers.SearchValues<char> Ipv4Chars = System.Buffers.SearchValues.Create("0123456789.");

    /// <summary>
    /// The line without surrounding whitespace, or empty for comments: <c>#</c> or <c>!</c> at the
    /// start, or <c>#</c> after whitespace (hosts files). A <c>#</c> inside a rule (cosmetic
    /// <c>##</c>) is left for the adblock parser to recognise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadOnlySpan<char> StripComment(ReadOnlySpan<char> line)
    {
        ReadOnlySpan<char> text = line.Trim();
        if (text.IsEmpty || text[0] == '#' || text[0] == '!')
        {
            return default;
        }

        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] == '#' && char.IsWhiteSpace(text[i - 1]))
            {
                return text[..i].TrimEnd();
            }
        }

        return text;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool LooksLikeAddress(ReadOnlySpan<char> token) =>
        token.SequenceEqual("0.0.0.0") || token.SequenceEqual("127.0.0.1") || token.SequenceEqual("::")
        || ((token.Contains(':') || token.IndexOfAnyExcept(Ipv4Chars) < 0) && IPAddress.TryParse(token, out _));
}

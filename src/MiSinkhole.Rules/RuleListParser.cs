using System.Net;

namespace MiSinkhole.Rules;

/// <summary>
/// Reads blocklists in the two formats users bring from Pi-hole and similar tools, detected per
/// line: hosts (<c>0.0.0.0 a.example b.example</c>, any address in front) and plain domains
/// (<c>a.example</c>). <c>#</c> and <c>!</c> start comments (also after a name). Each name is a
/// rule for itself and all its subdomains. A bad line is reported with source and line number
/// and skipped; the rest of the list loads.
/// </summary>
public static class RuleListParser
{
    /// <summary>Names hosts files carry for the machine itself; never rules.</summary>
    private static readonly HashSet<string> HostsFileLocalNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    };

    public static RuleListStats Parse(TextReader reader, string source, RuleSetBuilder builder, int listIndex, ICollection<RuleListError> errors)
    {
        int lines = 0, rules = 0, skipped = 0, errorCount = 0;
        Span<char> lower = stackalloc char[256];
        Span<Range> tokens = stackalloc Range[64];
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lines++;
            ReadOnlySpan<char> text = StripComment(line).Trim();
            if (text.IsEmpty)
            {
                continue;
            }

            int tokenCount = text.SplitAny(tokens, " \t", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            int first = 0;
            if (LooksLikeAddress(text[tokens[0]]))
            {
                if (tokenCount == 1)
                {
                    errors.Add(new RuleListError(source, lines, "hosts line without a name", line));
                    errorCount++;
                    continue;
                }

                first = 1; // hosts format: the address is irrelevant, every name after it is a rule
            }
            else if (tokenCount > 1)
            {
                errors.Add(new RuleListError(source, lines, "unexpected text after the domain", line));
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

                string? reason = Normalize(name, lower, out int length);
                if (reason is not null)
                {
                    errors.Add(new RuleListError(source, lines, reason, line));
                    errorCount++;
                    continue;
                }

                builder.Add(lower[..length], listIndex);
                rules++;
            }
        }

        return new RuleListStats(lines, rules, skipped, errorCount);
    }

    /// <summary>
    /// Lowercases and validates a host name (trailing dot dropped). Returns null when valid, else
    /// the reason. Letters, digits, '-' and '_' (service labels); labels 1–63; at most 253 chars.
    /// </summary>
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
                    ? "unsupported rule syntax (only hosts and plain domain lines)"
                    : $"invalid character '{c}' in name";
            }

            destination[length++] = l;
        }

        return labelLength == 0 ? "empty label" : null;
    }

    private static readonly System.Buffers.SearchValues<char> Ipv4Chars = System.Buffers.SearchValues.Create("0123456789.");

    private static ReadOnlySpan<char> StripComment(string line)
    {
        ReadOnlySpan<char> text = line;
        int start = 0;
        while (start < text.Length && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        if (start < text.Length && (text[start] == '#' || text[start] == '!'))
        {
            return default;
        }

        int hash = text.IndexOf('#');
        return hash >= 0 ? text[..hash] : text;
    }

    private static bool LooksLikeAddress(ReadOnlySpan<char> token) =>
        token.SequenceEqual("0.0.0.0") || token.SequenceEqual("127.0.0.1") || token.SequenceEqual("::")
        || ((token.Contains(':') || token.IndexOfAnyExcept(Ipv4Chars) < 0) && IPAddress.TryParse(token, out _));
}

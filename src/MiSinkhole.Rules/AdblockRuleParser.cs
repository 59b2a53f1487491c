using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using MiSinkhole.Dns;

namespace MiSinkhole.Rules;

/// <summary>
/// Parses one line of adblock-style DNS filter syntax (AdGuard Home, uBlock Origin lists):
/// <c>||d^</c> (d and subdomains), <c>|d^</c> (d only), <c>*.d</c> (subdomains only),
/// <c>@@</c> exceptions, <c>/regex/</c>, <c>*</c> wildcards, and the modifiers <c>$important</c>,
/// <c>$badfilter</c> and <c>$dnstype=A|AAAA</c> (or <c>~A</c>). Cosmetic rules and other modifiers
/// are <see cref="AdblockParseResult.Skipped"/>. Patterns become .NET regular expressions run with
/// <see cref="RegexOptions.NonBacktracking"/>, so no rule can make a query take unbounded time.
/// </summary>
public static class AdblockRuleParser
{
    public const RegexOptions PatternOptions = RegexOptions.NonBacktracking | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    private static readonly System.Buffers.SearchValues<char> LabelChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

    private static readonly string[] CosmeticMarkers = ["##", "#@#", "#?#", "#$#", "#%#"];

    /// <param name="line">A line without its leading/trailing whitespace, not a comment.</param>
    /// <param name="lowerName">Receives the normalised name (256 chars) for domain rules.</param>
    /// <param name="problem">Why the line was skipped or rejected.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static AdblockParseResult Parse(ReadOnlySpan<char> line, Span<char> lowerName, out AdblockRule rule, out int nameLength, out string? problem)
    {
        rule = default;
        nameLength = 0;
        problem = null;
        foreach (string marker in CosmeticMarkers)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                problem = "cosmetic rule";
                return AdblockParseResult.Skipped;
            }
        }

        if (!IsAdblock(line))
        {
            return AdblockParseResult.NotAdblock;
        }

        bool exception = line.StartsWith("@@");
        ReadOnlySpan<char> rest = exception ? line[2..] : line;
        ReadOnlySpan<char> modifiers = default;
        string? pattern = null;
        if (rest.Length > 1 && rest[0] == '/' && rest[1..].Contains('/'))
        {
            int end = rest.LastIndexOf('/');
            ReadOnlySpan<char> after = rest[(end + 1)..];
            if (!after.IsEmpty && after[0] != '$')
            {
                problem = "text after the closing / of a regular expression";
                return AdblockParseResult.Error;
            }

            modifiers = after.IsEmpty ? default : after[1..];
            pattern = rest[1..end].ToString();
            rest = default;
        }
        else
        {
            int dollar = rest.LastIndexOf('$');
            if (dollar >= 0)
            {
                modifiers = rest[(dollar + 1)..];
                rest = rest[..dollar];
                if (modifiers.IsEmpty)
                {
                    problem = "empty modifier";
                    return AdblockParseResult.Error;
                }
            }
        }

        AdblockParseResult modifierResult = ParseModifiers(modifiers, ref rule, out problem);
        if (modifierResult != AdblockParseResult.Rule)
        {
            return modifierResult;
        }

        rule = rule with { IsException = exception };
        if (pattern is not null)
        {
            return CheckPattern(pattern, ref rule, out problem);
        }

        RuleScope scope = RuleScope.NameAndSubdomains;
        bool anchored = false;
        if (rest.StartsWith("||"))
        {
            rest = rest[2..];
            anchored = true;
        }
        else if (rest.StartsWith("|"))
        {
            rest = rest[1..];
            scope = RuleScope.ExactName;
        }

        if (rest.EndsWith("^|"))
        {
            rest = rest[..^2];
        }
        else if (rest.EndsWith("^") || rest.EndsWith("|"))
        {
            rest = rest[..^1];
        }

        if (rest.StartsWith("*."))
        {
            rest = rest[2..];
            scope = RuleScope.SubdomainsOnly;
        }

        if (rest.Contains('*'))
        {
            // Built from escaped text and ".*": always a valid expression, so not compiled here
            // to check it (a NonBacktracking regex costs milliseconds to build; the set builds it
            // once, and not at all for a shape).
            rule = rule with { Scope = RuleScope.Pattern, Pattern = WildcardToPattern(rest, anchored || scope != RuleScope.ExactName) };
            return scope == RuleScope.ExactName && rule.Types is null
                ? AsShape(rest, lowerName, ref rule, out nameLength)
                : AdblockParseResult.Rule;
        }

        if (rest.IndexOfAny('^', '|', '/') >= 0)
        {
            problem = "unsupported rule syntax";
            return AdblockParseResult.Error;
        }

        problem = NormalizeName(rest, lowerName, out nameLength);
        if (problem is not null)
        {
            return AdblockParseResult.Error;
        }

        rule = rule with { Scope = scope };
        return AdblockParseResult.Rule;
    }

    /// <summary>Lowercase, IDN → punycode, validate (see <see cref="RuleListParser.Normalize"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? NormalizeName(ReadOnlySpan<char> name, Span<char> destination, out int length)
    {
        // Ascii.IsValid, not span.ContainsAnyExceptInRange: the precompiled (ReadyToRun) body of
        // the generic one boxes two chars per call, and list loading runs it a million times
        // before the JIT replaces it: 80 MB of garbage per 1M-name load, measured.
        if (!Ascii.IsValid(name))
        {
            string ascii;
            try
            {
                ascii = new IdnMapping().GetAscii(name.ToString().TrimEnd('.'));
            }
            catch (ArgumentException)
            {
                length = 0;
                return "invalid international domain name";
            }

            return RuleListParser.Normalize(ascii, destination, out length);
        }

        return RuleListParser.Normalize(name, destination, out length);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsAdblock(ReadOnlySpan<char> line) =>
        line.StartsWith("||") || line.StartsWith("|") || line.StartsWith("@@") || line.StartsWith("/") || line.StartsWith("*.")
        || line.IndexOfAny('^', '$') >= 0;

    private static AdblockParseResult ParseModifiers(ReadOnlySpan<char> modifiers, ref AdblockRule rule, out string? problem)
    {
        problem = null;
        if (modifiers.IsEmpty)
        {
            return AdblockParseResult.Rule;
        }

        foreach (Range range in modifiers.Split(','))
        {
            ReadOnlySpan<char> modifier = modifiers[range].Trim();
            if (modifier.Equals("important", StringComparison.OrdinalIgnoreCase))
            {
                rule = rule with { IsImportant = true };
            }
            else if (modifier.Equals("badfilter", StringComparison.OrdinalIgnoreCase))
            {
                rule = rule with { IsBadFilter = true };
            }
            else if (modifier.StartsWith("dnstype=", StringComparison.OrdinalIgnoreCase))
            {
                if (!TryParseTypes(modifier[8..], out DnsTypeFilter? types, out problem))
                {
                    return AdblockParseResult.Error;
                }

                rule = rule with { Types = types };
            }
            else if (modifier.IsEmpty)
            {
                problem = "empty modifier";
                return AdblockParseResult.Error;
            }
            else
            {
                problem = $"unsupported modifier '${modifier}'";
                return AdblockParseResult.Skipped;
            }
        }

        return AdblockParseResult.Rule;
    }

    private static bool TryParseTypes(ReadOnlySpan<char> list, out DnsTypeFilter? filter, out string? problem)
    {
        filter = null;
        problem = null;
        var types = new List<ushort>();
        bool? negated = null;
        foreach (Range range in list.Split('|'))
        {
            ReadOnlySpan<char> item = list[range].Trim();
            bool not = item.StartsWith("~");
            if (not)
            {
                item = item[1..];
            }

            if (negated is not null && negated != not)
            {
                problem = "$dnstype mixes listed and excluded (~) types";
                return false;
            }

            negated = not;
            if (!DnsRecordType.TryParse(item, out ushort type))
            {
                problem = $"unknown record type '{item}' in $dnstype";
                return false;
            }

            types.Add(type);
        }

        filter = new DnsTypeFilter(types, negated ?? false);
        return true;
    }

    private static AdblockParseResult CheckPattern(string pattern, ref AdblockRule rule, out string? problem)
    {
        problem = null;
        try
        {
            _ = new Regex(pattern, PatternOptions);
        }
        catch (NotSupportedException e)
        {
            problem = "regular expression not supported (no backreferences or lookarounds): " + e.Message;
            return AdblockParseResult.Error;
        }
        catch (ArgumentException e)
        {
            problem = "invalid regular expression: " + e.Message;
            return AdblockParseResult.Error;
        }

        rule = rule with { Scope = RuleScope.Pattern, Pattern = pattern };
        return AdblockParseResult.Rule;
    }

    /// <summary>
    /// <c>|label.*.zone^</c>, a host whose leftmost label is <c>label</c> anywhere under <c>zone</c>
    /// (at least one label between), keeps its pattern (for explaining and <c>$badfilter</c>) and
    /// is also given as a shape: the zone in <paramref name="lowerName"/> and the label, which the
    /// compiled set matches with two table probes instead of a regular expression.
    /// </summary>
    private static AdblockParseResult AsShape(ReadOnlySpan<char> rest, Span<char> lowerName, ref AdblockRule rule, out int nameLength)
    {
        nameLength = 0;
        int star = rest.IndexOf(".*.", StringComparison.Ordinal);
        if (star <= 0 || rest[(star + 3)..].Contains('*') || rest[..star].Contains('*') || rest[..star].Contains('.'))
        {
            return AdblockParseResult.Rule;
        }

        ReadOnlySpan<char> label = rest[..star];
        if (label.Length > 63 || label.ContainsAnyExcept(LabelChars)
            || NormalizeName(rest[(star + 3)..], lowerName, out nameLength) is not null)
        {
            nameLength = 0;
            return AdblockParseResult.Rule;
        }

        rule = rule with { ShapeLabel = label.ToString().ToLowerInvariant() };
        return AdblockParseResult.Rule;
    }

    /// <summary><c>ad*.example.com</c> → a regex over the whole name; with <paramref name="subdomains"/> also below it.</summary>
    private static string WildcardToPattern(ReadOnlySpan<char> wildcard, bool subdomains)
    {
        var regex = new StringBuilder(subdomains ? @"^(?:[^.]+\.)*" : "^");
        foreach (char c in wildcard)
        {
            regex.Append(c == '*' ? ".*" : Regex.Escape(c.ToString()));
        }

        return regex.Append('$').ToString();
    }
}

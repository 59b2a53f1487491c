using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Reads ISC dhcpd's lease database (<c>/var/lib/dhcp/dhcpd.leases</c>, <c>dhcpd6.leases</c>), so
/// clients that got their address from ISC dhcpd are known by the host name they sent. The file
/// is a journal: dhcpd appends a new <c>lease &lt;ipv4&gt; { … }</c> block whenever a lease
/// changes, so for each address the last block in the file wins, and an address whose last block
/// is not in use (binding state free, released, expired, abandoned, reset or backup) has no entry.
/// DHCPv6 addresses come from the <c>iaaddr</c> blocks inside <c>ia-na</c> and <c>ia-ta</c>
/// blocks. The host name is <c>client-hostname</c>, else the <c>ddns-hostname</c> or
/// <c>ddns-fwd-name</c> variable dhcpd set. Comments, unknown statements and blocks are skipped,
/// and so is a block the file ends inside (a file read while dhcpd was writing it).
/// </summary>
public static class IscDhcpdLeaseParser
{
    private const char Word = 'w';
    private const char Quoted = '"';

    /// <summary>The leases in use in <paramref name="text"/>, one per address, in order of first appearance.</summary>
    public static IReadOnlyList<LeaseEntry> Parse(string text)
    {
        List<(char Kind, string Text)> tokens = Tokenize(text);
        var latest = new Dictionary<ClientAddress, LeaseEntry?>();
        int position = 0;
        var words = new List<(char Kind, string Text)>();
        while (position < tokens.Count)
        {
            (char kind, string value) = tokens[position++];
            if (kind is Word or Quoted)
            {
                words.Add((kind, value));
                continue;
            }

            if (kind == '{')
            {
                if (words.Count == 2 && words[0].Text == "lease" && IPAddress.TryParse(words[1].Text, out IPAddress? v4)
                    && v4.AddressFamily == AddressFamily.InterNetwork)
                {
                    LeaseBlock block = ReadLeaseBlock(tokens, ref position);
                    Record(latest, v4, block);
                }
                else if (words.Count >= 1 && words[0].Text is "ia-na" or "ia-ta")
                {
                    ReadIaBlock(tokens, ref position, latest);
                }
                else
                {
                    SkipBlock(tokens, ref position);
                }
            }

            // ';' ends a top-level statement (authoring-byte-order, server-duid, …); a stray '}' is ignored.
            words.Clear();
        }

        return [.. latest.Values.OfType<LeaseEntry>()];
    }

    private static void Record(Dictionary<ClientAddress, LeaseEntry?> latest, IPAddress address, LeaseBlock block)
    {
        if (!block.Complete)
        {
            return; // the file ended inside the block: keep what an earlier, complete block said
        }

        var key = ClientAddress.FromIPAddress(address);
        latest[key] = block.Valid && block.InUse ? new LeaseEntry(key, block.Mac, block.HostName, block.Ends) : null;
    }

    /// <summary>An <c>ia-na</c>/<c>ia-ta</c> block: its <c>iaaddr</c> blocks are the leases.</summary>
    private static void ReadIaBlock(List<(char Kind, string Text)> tokens, ref int position, Dictionary<ClientAddress, LeaseEntry?> latest)
    {
        var words = new List<string>();
        while (position < tokens.Count)
        {
            (char kind, string value) = tokens[position++];
            switch (kind)
            {
                case '}':
                    return;
                case ';':
                    words.Clear();
                    break;
                case '{':
                    if (words.Count == 2 && words[0] == "iaaddr" && IPAddress.TryParse(words[1], out IPAddress? v6)
                        && v6.AddressFamily == AddressFamily.InterNetworkV6)
                    {
                        Record(latest, v6, ReadLeaseBlock(tokens, ref position));
                    }
                    else
                    {
                        SkipBlock(tokens, ref position); // iaprefix (ia-pd), on … { }
                    }

                    words.Clear();
                    break;
                default:
                    words.Add(value);
                    break;
            }
        }
    }

    /// <summary>The statements of a <c>lease</c> or <c>iaaddr</c> block, up to its closing brace.</summary>
    private static LeaseBlock ReadLeaseBlock(List<(char Kind, string Text)> tokens, ref int position)
    {
        var block = new LeaseBlock();
        var words = new List<(char Kind, string Text)>();
        while (position < tokens.Count)
        {
            (char kind, string value) = tokens[position++];
            switch (kind)
            {
                case '}':
                    block.Complete = true;
                    return block;
                case '{':
                    SkipBlock(tokens, ref position); // on commit { … } and the like
                    words.Clear();
                    break;
                case ';':
                    Apply(block, words);
                    words.Clear();
                    break;
                default:
                    words.Add((kind, value));
                    break;
            }
        }

        return block;
    }

    private static void Apply(LeaseBlock block, List<(char Kind, string Text)> words)
    {
        if (words.Count == 0)
        {
            return;
        }

        switch (words[0].Text)
        {
            case "binding" when words.Count == 3 && words[1].Text == "state":
                block.InUse = words[2].Text is not ("free" or "released" or "expired" or "abandoned" or "reset" or "backup");
                break;
            case "ends":
                if (TryParseEnds(words, out DateTimeOffset? ends))
                {
                    block.Ends = ends;
                }
                else
                {
                    block.Valid = false; // an expiry we cannot read: do not guess how long the lease lasts
                }

                break;
            case "hardware" when words.Count == 3 && words[1].Text == "ethernet" && MacAddress.TryParse(words[2].Text, out MacAddress mac):
                block.Mac = mac;
                break;
            case "client-hostname" when words.Count == 2 && words[1].Kind == Quoted && words[1].Text.Length > 0:
                block.ClientHostName = words[1].Text;
                break;
            case "set" when words.Count == 4 && words[2].Text == "=" && words[3].Kind == Quoted && words[3].Text.Length > 0:
                if (words[1].Text == "ddns-hostname")
                {
                    block.DdnsHostName = words[3].Text;
                }
                else if (words[1].Text == "ddns-fwd-name")
                {
                    block.DdnsForwardName = words[3].Text;
                }

                break;
        }
    }

    /// <summary><c>ends never</c>, <c>ends epoch 1764064800</c> (db-time-format local) or <c>ends 3 2026/11/25 10:00:00</c> (UTC).</summary>
    private static bool TryParseEnds(List<(char Kind, string Text)> words, out DateTimeOffset? ends)
    {
        ends = null;
        if (words.Count == 2 && words[1].Text == "never")
        {
            return true;
        }

        if (words.Count == 3 && words[1].Text == "epoch")
        {
            if (long.TryParse(words[2].Text, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
                && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            {
                ends = DateTimeOffset.FromUnixTimeSeconds(seconds);
                return true;
            }

            return false;
        }

        if (words.Count == 4 && DateTime.TryParseExact(words[2].Text + " " + words[3].Text, "yyyy/M/d H:m:s", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTime utc))
        {
            ends = new DateTimeOffset(utc, TimeSpan.Zero);
            return true;
        }

        return false;
    }

    /// <summary>Skips to the brace that closes the block just opened (nested blocks included).</summary>
    private static void SkipBlock(List<(char Kind, string Text)> tokens, ref int position)
    {
        int depth = 1;
        while (position < tokens.Count && depth > 0)
        {
            char kind = tokens[position++].Kind;
            depth += kind == '{' ? 1 : kind == '}' ? -1 : 0;
        }
    }

    /// <summary>Words, quoted strings (escapes decoded) and the punctuation <c>{ } ;</c>; comments dropped.</summary>
    private static List<(char Kind, string Text)> Tokenize(string text)
    {
        var tokens = new List<(char Kind, string Text)>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c is '{' or '}' or ';')
            {
                tokens.Add((c, string.Empty));
                i++;
            }
            else if (c == '"')
            {
                if (!TryReadString(text, ref i, out string value))
                {
                    break; // unterminated at the end of the file
                }

                tokens.Add((Quoted, value));
            }
            else
            {
                int start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('{' or '}' or ';' or '"' or '#'))
                {
                    i++;
                }

                tokens.Add((Word, text[start..i]));
            }
        }

        return tokens;
    }

    /// <summary>A quoted string; dhcpd writes bytes outside printable ASCII as <c>\ooo</c> octal escapes.</summary>
    private static bool TryReadString(string text, ref int i, out string value)
    {
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
        i++;
        while (i < text.Length)
        {
            char c = text[i++];
            if (c == '"')
            {
                value = Encoding.UTF8.GetString([.. bytes]);
                return true;
            }

            if (c == '\\' && i < text.Length)
            {
                if (i + 2 < text.Length && IsOctal(text[i]) && IsOctal(text[i + 1]) && IsOctal(text[i + 2]))
                {
                    bytes.Add((byte)(((text[i] - '0') << 6) | ((text[i + 1] - '0') << 3) | (text[i + 2] - '0')));
                    i += 3;
                    continue;
                }

                i++; // \" and \\: the character itself
            }

            // Characters as written (dhcpd itself writes ASCII only, but a hand-edited file may not be).
            Rune.DecodeFromUtf16(text.AsSpan(i - 1), out Rune rune, out int consumed);
            i += consumed - 1;
            int length = rune.EncodeToUtf8(utf8);
            for (int k = 0; k < length; k++)
            {
                bytes.Add(utf8[k]);
            }
        }

        value = string.Empty;
        return false;
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}

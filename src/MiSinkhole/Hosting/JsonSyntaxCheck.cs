using System.Text.Json;
using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Hosting;

/// <summary>
/// Reads a config file the way the JSON config provider does (comments and trailing commas
/// allowed) and, if it is not valid, says where and what is wrong in our own words:
/// <c>file:line:column: expected ',' or '}' after a property value</c>. The framework's own
/// messages are not used: they are not written for a person editing a config file. Also catches
/// what the provider would refuse later with a bare message: a top level that is no object, and a
/// key given twice in one object (config keys ignore case), and a key that is empty or holds a ':'
/// (the provider splits keys at ':', so "::Discovery" would silently become a section without a name).
/// </summary>
public static class JsonSyntaxCheck
{
    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Null when <paramref name="json"/> is a valid config document, else the first problem.</summary>
    public static ConfigError? Check(ReadOnlySpan<byte> json, string file)
    {
        if (json.StartsWith("\uFEFF"u8))
        {
            json = json[3..]; // a UTF-8 byte order mark, which the provider skips too
        }

        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            return At(file, json, 0, "the file is empty: a config is a JSON object, at least {}");
        }

        var reader = new Utf8JsonReader(json, Options);
        var containers = new Stack<Container>();
        JsonTokenType last = JsonTokenType.None;
        try
        {
            while (reader.Read())
            {
                int start = (int)reader.TokenStartIndex;
                if (last == JsonTokenType.None && reader.TokenType != JsonTokenType.StartObject)
                {
                    return At(file, json, start, "the config must be a JSON object: { \"Section\": { … } }");
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        containers.Push(new Container(IsObject: true));
                        break;
                    case JsonTokenType.StartArray:
                        containers.Push(new Container(IsObject: false));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        containers.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        string name = reader.GetString()!;
                        if (name.Length == 0 || name.Contains(':', StringComparison.Ordinal))
                        {
                            return At(file, json, start, name.Length == 0
                                ? "a key cannot be empty (\"\")"
                                : $"the key \"{name}\" holds a ':', which separates sections in config keys; write nested objects instead");
                        }

                        Dictionary<string, int> keys = containers.Peek().Keys;
                        if (keys.TryGetValue(name, out int firstLine))
                        {
                            return At(file, json, start, $"the key \"{name}\" is given twice in this object (also on line {firstLine}; keys ignore case)");
                        }

                        keys[name] = LineOf(json, start);
                        break;
                    default:
                        break;
                }

                last = reader.TokenType;
            }
        }
        catch (JsonException e)
        {
            int offset = OffsetOf(json, e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
            (int at, string message) = Describe(json, offset, last, containers.Count > 0 ? containers.Peek() : null);
            return At(file, json, at, message);
        }

        return null;
    }

    /// <summary>What was expected at <paramref name="offset"/>, from what came before it; and where to point.</summary>
    private static (int Offset, string Message) Describe(ReadOnlySpan<byte> json, int offset, JsonTokenType last, Container? container)
    {
        if (InsideString(json, offset, out int opening, out int backslash))
        {
            return backslash >= 0
                ? (backslash, "invalid escape in a string: a backslash starts \\n, \\t, \\\" or \\uXXXX; write \\\\ for a backslash itself (or use / in paths)")
                : (opening, "this string is not closed: '\"' is missing before the end of the line");
        }

        string found = Found(json, offset);
        if (container is null)
        {
            return (offset, $"unexpected {found} after the end of the config: its outermost object is already closed (one '}}' too many?)");
        }

        if (offset >= json.TrimEnd(" \t\r\n"u8).Length)
        {
            return (offset, $"the file ends before every object and array is closed: expected '{(container.IsObject ? '}' : ']')}'");
        }

        bool afterValue = last is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False
            or JsonTokenType.Null or JsonTokenType.EndObject or JsonTokenType.EndArray;
        int previous = PreviousSignificant(json, offset);
        byte before = previous >= 0 ? json[previous] : (byte)0;
        if (afterValue && before != (byte)',')
        {
            string missing = previous >= 0 && LineOf(json, previous) < LineOf(json, offset)
                ? $" (a comma missing at the end of line {LineOf(json, previous)}?)"
                : "";
            return (offset, container.IsObject
                ? $"expected ',' or '}}' after a property value, found {found}{missing}"
                : $"expected ',' or ']' after an array element, found {found}{missing}");
        }

        if (container.IsObject && last != JsonTokenType.PropertyName)
        {
            if (before == (byte)'"')
            {
                return (offset, $"expected ':' after the property name, found {found}"); // "Name" then no colon
            }

            return (offset, json[offset] == (byte)'\''
                ? "property names need double quotes (\"Name\"), not single quotes"
                : $"expected a property name in double quotes (\"Name\"), found {found}");
        }

        if (json[offset] == (byte)'\'')
        {
            return (offset, "text values need double quotes (\"text\"), not single quotes");
        }

        // The reader stops inside or just after a bad literal (tru, 01, 1.): point at its start.
        int word = offset;
        while (word > 0 && IsWordByte(json[word - 1]))
        {
            word--;
        }

        if (word < offset || IsWordByte(json[offset]))
        {
            int end = offset;
            while (end < json.Length && IsWordByte(json[end]))
            {
                end++;
            }

            string text = System.Text.Encoding.UTF8.GetString(json[word..end]);
            return (word, text[0] is (>= '0' and <= '9') or '-' or '+' or '.'
                ? $"'{text}' is not a JSON number (no leading zeros, digits after a '.'); or put it in double quotes"
                : $"'{text}' is not a value: text needs double quotes (\"{text}\"); the only bare words are true, false and null");
        }

        return (offset, $"expected a value (text in double quotes, a number, true, false, null, {{ … }} or [ … ]), found {found}");
    }

    private static bool IsWordByte(byte b) => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
        or (byte)'.' or (byte)'-' or (byte)'+' or (byte)'_' or >= 0x80;

    private static string Found(ReadOnlySpan<byte> json, int offset)
    {
        if (offset >= json.Length)
        {
            return "the end of the file";
        }

        int end = offset;
        while (end < json.Length && end - offset < 20 && json[end] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)',' or (byte)':'))
        {
            end++;
        }

        end = Math.Max(end, offset + 1);
        string text = System.Text.Encoding.UTF8.GetString(json[offset..Math.Min(end, json.Length)]);
        return $"'{text}'";
    }

    /// <summary>
    /// Whether <paramref name="offset"/> lies inside a string opened earlier on its line (strings
    /// cannot span lines): where it opened, and the backslash of a bad escape (or -1).
    /// </summary>
    private static bool InsideString(ReadOnlySpan<byte> json, int offset, out int opening, out int backslash)
    {
        opening = -1;
        backslash = -1;
        int lineStart = offset <= 0 ? 0 : json[..Math.Min(offset, json.Length)].LastIndexOf((byte)'\n') + 1;
        for (int i = lineStart; i < offset && i < json.Length; i++)
        {
            if (opening < 0 && json[i] == (byte)'/' && i + 1 < json.Length && json[i + 1] == (byte)'/')
            {
                return false; // the rest of the line is a comment
            }

            if (json[i] == (byte)'"')
            {
                opening = opening < 0 ? i : -1;
            }
            else if (opening >= 0 && json[i] == (byte)'\\')
            {
                if (i + 1 >= offset)
                {
                    backslash = i; // the reader stopped at the character after it
                    return true;
                }

                i++; // the escaped character
            }
        }

        if (opening >= 0 && offset < json.Length && json[offset] == (byte)'\\')
        {
            backslash = offset;
        }

        return opening >= 0;
    }

    private static int PreviousSignificant(ReadOnlySpan<byte> json, int offset)
    {
        for (int i = Math.Min(offset, json.Length) - 1; i >= 0; i--)
        {
            if (json[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return i;
            }
        }

        return -1;
    }

    private static ConfigError At(string file, ReadOnlySpan<byte> json, int offset, string message)
    {
        offset = Math.Clamp(offset, 0, json.Length);
        int lineStart = offset == 0 ? 0 : json[..offset].LastIndexOf((byte)'\n') + 1;
        int column = 1;
        foreach (byte b in json[lineStart..offset])
        {
            column += (b & 0xC0) == 0x80 ? 0 : 1; // count characters, not the bytes of UTF-8 sequences
        }

        return new ConfigError("", message) { File = file, Line = LineOf(json, offset), Column = column };
    }

    private static int LineOf(ReadOnlySpan<byte> json, int offset) => json[..Math.Min(offset, json.Length)].Count((byte)'\n') + 1;

    /// <summary>The byte offset of a zero-based line and byte position, as <see cref="JsonException"/> gives them.</summary>
    private static int OffsetOf(ReadOnlySpan<byte> json, long line, long bytePosition)
    {
        int offset = 0;
        for (long l = 0; l < line; l++)
        {
            int next = json[offset..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return json.Length;
            }

            offset += next + 1;
        }

        return (int)Math.Min(json.Length, offset + bytePosition);
    }

    private sealed record Container(bool IsObject)
    {
        public Dictionary<string, int> Keys { get; } = new(StringComparer.OrdinalIgnoreCase);
    }
}

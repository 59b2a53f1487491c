using System.Text;
using System.Text.Json;

namespace MiSinkhole.Hosting;

/// <summary>
/// Sets one value in a JSON config file's text and leaves every other byte as it was: the
/// user's comments, order, indentation and trailing commas stay. The value at
/// <c>Devices:tv:Policy</c> is replaced where it is; a key that is not there yet is added as
/// the first member of the deepest object of its path that is (with the objects it needs), in
/// that object's indentation, right after its '{' (so no comment is split or moved). Keys match without case, as the configuration reads them, and
/// where a key is given twice the last one counts (so that is the one replaced).
/// </summary>
public static class JsonTextEditor
{
    /// <param name="json">The file's text (comments and trailing commas allowed).</param>
    /// <param name="path">The key's sections, <c>["Devices", "tv", "Policy"]</c>.</param>
    /// <param name="value">The new value as JSON (<c>"strict"</c> with its quotes, an object, an array).</param>
    /// <exception cref="FormatException">The text is no JSON object, or a section of the path is a value, not an object.</exception>
    public static string Set(string json, IReadOnlyList<string> path, string value)
    {
        ArgumentOutOfRangeException.ThrowIfZero(path.Count);
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        Found found = Find(utf8, path);
        var text = new StringBuilder(json.Length + value.Length + 64);
        if (found.ValueStart >= 0)
        {
            text.Append(Encoding.UTF8.GetString(utf8, 0, found.ValueStart)).Append(value).Append(Encoding.UTF8.GetString(utf8, found.ValueEnd, utf8.Length - found.ValueEnd));
            return text.ToString();
        }

        if (found.Depth < path.Count - 1 && found.BlockedAt >= 0)
        {
            throw new FormatException($"'{string.Join(':', path.Take(found.BlockedAt + 1))}' is a value in the file, not a section that can hold '{path[found.BlockedAt + 1]}'");
        }

        // The new member, with the objects the rest of the path needs around the value.
        string member = value;
        for (int i = path.Count - 1; i > found.Depth; i--)
        {
            member = $"{{ {Quote(path[i])}: {member} }}";
        }

        member = $"{Quote(path[found.Depth])}: {member}";
        // Right after the '{': whatever follows it (comments, the first member) stays as it was.
        // On a line of its own in the first member's indentation when that is on a line of its own.
        int at = found.ObjectOpen + 1;
        string inserted;
        if (found.FirstMember < 0)
        {
            inserted = $" {member} ";
        }
        else
        {
            string before = Encoding.UTF8.GetString(utf8, at, found.FirstMember - at);
            int newline = before.LastIndexOf('\n');
            string indent = newline < 0 ? "" : new string([.. before[(newline + 1)..].TakeWhile(c => c is ' ' or '\t')]);
            inserted = newline < 0
                ? $" {member},"
                : $"{(newline > 0 && before[newline - 1] == '\r' ? "\r\n" : "\n")}{indent}{member},";
        }

        text.Append(Encoding.UTF8.GetString(utf8, 0, at)).Append(inserted).Append(Encoding.UTF8.GetString(utf8, at, utf8.Length - at));
        return text.ToString();
    }

    /// <summary>Whether the file sets the key (<c>Devices:tablet</c>), whatever its value.</summary>
    public static bool Contains(string json, IReadOnlyList<string> path) => Find(Encoding.UTF8.GetBytes(json), path).ValueStart >= 0;

    /// <summary>A string as a JSON string literal, escaped as the config reader reads it.</summary>
    public static string Quote(string text)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStringValue(text);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A list of strings as a one-line JSON array: <c>[ "a", "b" ]</c>.</summary>
    public static string Array(IEnumerable<string> items) => "[ " + string.Join(", ", items.Select(Quote)) + " ]";

    private struct Found
    {
        /// <summary>The path's value: its first byte and the byte after it; -1 when the key is not there.</summary>
        public int ValueStart, ValueEnd;

        /// <summary>How many sections of the path exist as objects (0: only the root).</summary>
        public int Depth;

        /// <summary>The deepest existing object's '{' and its first member's first byte (-1: empty).</summary>
        public int ObjectOpen, FirstMember;

        /// <summary>The index of the section that exists but holds a value or an array, or -1.</summary>
        public int BlockedAt;
    }

    private static Found Find(byte[] utf8, IReadOnlyList<string> path)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var found = new Found { ValueStart = -1, ValueEnd = -1, ObjectOpen = -1, FirstMember = -1, BlockedAt = -1 };

        // How many of the path's sections the objects around the reader match: the path is
        // followed only through them (any other object is skipped), so a property of the
        // innermost one is at reader depth matched + 1.
        int matched = 0;
        string? property = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("the config file is not a JSON object");
            }

            found.ObjectOpen = (int)reader.TokenStartIndex;
            bool firstOfObject = true;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (firstOfObject && matched == found.Depth)
                        {
                            found.FirstMember = (int)reader.TokenStartIndex;
                        }

                        firstOfObject = false;
                        property = reader.CurrentDepth == matched + 1 && reader.GetString()!.Equals(path[matched], StringComparison.OrdinalIgnoreCase) ? path[matched] : null;
                        break;
                    case JsonTokenType.StartObject when property is not null:
                        property = null;
                        if (matched == path.Count - 1)
                        {
                            found.ValueStart = (int)reader.TokenStartIndex;
                            reader.Skip();
                            found.ValueEnd = (int)reader.BytesConsumed;
                            break;
                        }

                        matched++;
                        found.Depth = matched;
                        found.ObjectOpen = (int)reader.TokenStartIndex;
                        found.FirstMember = -1;
                        found.BlockedAt = -1;
                        found.ValueStart = -1;
                        firstOfObject = true;
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (property is not null)
                        {
                            Matched(ref reader, ref found, matched, path.Count);
                            property = null;
                            break;
                        }

                        reader.Skip();
                        break;
                    case JsonTokenType.EndObject:
                        // Leaving an object of the path: later sections with the same names are
                        // other objects (a key given twice: the last one is read, so found again).
                        matched = Math.Max(reader.CurrentDepth - 1, 0);

                        break;
                    default:
                        if (property is not null)
                        {
                            Matched(ref reader, ref found, matched, path.Count);
                            property = null;
                        }

                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"the config file is not valid JSON: {e.Message}", e);
        }

        return found;
    }

    /// <summary>The path's section <paramref name="matched"/> is a value or an array: the key itself when it is the last section, else in the way.</summary>
    private static void Matched(ref Utf8JsonReader reader, ref Found found, int matched, int length)
    {
        int start = (int)reader.TokenStartIndex;
        if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
        {
            reader.Skip();
        }

        if (matched == length - 1)
        {
            found.ValueStart = start;
            found.ValueEnd = (int)reader.BytesConsumed;
            found.BlockedAt = -1;
        }
        else if (matched == found.Depth)
        {
            found.BlockedAt = matched;
        }
    }
}

using System.Text.Json;

namespace MiSinkhole.Hosting;

/// <summary>
/// Finds the line of a configuration key ("Dns:Listen:0") in a JSON file, so a problem can be
/// reported as file:line. Best effort: null when the key is not in the file (e.g. it came from
/// an environment variable) or the file is not valid JSON.
/// </summary>
public static class JsonKeyLocator
{
    public static int? FindLine(string file, string key)
    {
        byte[] json;
        try
        {
            json = File.ReadAllBytes(file);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        string[] wanted = key.Split(':');
        var path = new List<string>();
        var arrayIndex = new Stack<int>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        string? pendingProperty = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        pendingProperty = reader.GetString();
                        if (Matches(path, pendingProperty!, wanted))
                        {
                            return LineOf(json, (int)reader.TokenStartIndex);
                        }

                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        string? segment = NextSegment(ref pendingProperty, arrayIndex);
                        if (segment is not null)
                        {
                            path.Add(segment);
                        }

                        arrayIndex.Push(reader.TokenType == JsonTokenType.StartArray ? 0 : -1);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        arrayIndex.Pop();
                        if (path.Count > 0 && arrayIndex.Count > 0)
                        {
                            path.RemoveAt(path.Count - 1);
                        }

                        break;
                    default:
                        string? element = NextSegment(ref pendingProperty, arrayIndex);
                        if (element is not null && Matches(path, element, wanted))
                        {
                            return LineOf(json, (int)reader.TokenStartIndex);
                        }

                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    private static string? NextSegment(ref string? pendingProperty, Stack<int> arrayIndex)
    {
        if (pendingProperty is not null)
        {
            string name = pendingProperty;
            pendingProperty = null;
            return name;
        }

        if (arrayIndex.Count > 0 && arrayIndex.Peek() >= 0)
        {
            int index = arrayIndex.Pop();
            arrayIndex.Push(index + 1);
            return index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return null;
    }

    private static bool Matches(List<string> path, string last, string[] wanted)
    {
        if (path.Count + 1 != wanted.Length || !last.Equals(wanted[^1], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        for (int i = 0; i < path.Count; i++)
        {
            if (!path[i].Equals(wanted[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static int LineOf(byte[] json, int offset)
    {
        int line = 1;
        for (int i = 0; i < offset && i < json.Length; i++)
        {
            if (json[i] == (byte)'\n')
            {
                line++;
            }
        }

        return line;
    }
}

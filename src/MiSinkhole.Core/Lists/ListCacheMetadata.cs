using System.Text.Json;

namespace MiSinkhole.Core.Lists;

/// <summary>What we know about a cached download (<c>&lt;cache&gt;.meta</c>): validators for conditional GETs and when it was last confirmed.</summary>
public sealed record ListCacheMetadata(string? ETag, DateTimeOffset? LastModified, DateTimeOffset CheckedAt)
{
    public static ListCacheMetadata? Read(string cachePath)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(cachePath + ".meta"), CoreJsonContext.Default.ListCacheMetadata);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(string cachePath) => File.WriteAllText(cachePath + ".meta", JsonSerializer.Serialize(this, CoreJsonContext.Default.ListCacheMetadata));
}

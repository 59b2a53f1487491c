namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The <c>Instance</c> section: this daemon's name among several that share one database
/// (<c>Instance:Name</c>, default the host name), on every query-log row, metric series and
/// shared change it makes.
/// </summary>
public sealed record InstanceOptions
{
    public string Name { get; init; } = DefaultName();

    /// <summary>The host name, lower case, as a name (letters, digits, '-', '.', '_'); <c>misinkhole</c> when it has none.</summary>
    public static string DefaultName()
    {
        string host = Environment.MachineName.ToLowerInvariant();
        return IsName(host) ? host : "misinkhole";
    }

    public static bool IsName(string text) =>
        text.Length is > 0 and <= 63 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_');

    /// <summary>The section's keys; a change takes effect at the next start (rows and series already carry the name).</summary>
    public static SectionKeys<InstanceOptions> Keys { get; } = new(restart: true)
    {
        {
            "Name", (s, o) =>
            {
                if (s["Name"] is not string name)
                {
                    return o;
                }

                if (!IsName(name))
                {
                    s.Error("Name", $"'{name}' is not an instance name: 1 to 63 letters, digits, '-', '.' or '_'");
                    return o;
                }

                return o with { Name = name };
            }
        },
    };
}

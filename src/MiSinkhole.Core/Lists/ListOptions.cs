using MiSinkhole.Core.Configuration;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Lists;

/// <summary>
/// One entry of the <c>Lists</c> section: a named rule list. <see cref="Sources"/> are the files
/// read to build it: local files, and for each URL subscription its last good download.
/// </summary>
public sealed record ListOptions(string Name, IReadOnlyList<string> Sources)
{
    /// <summary>URL sources; each one's cache file is also in <see cref="Sources"/>.</summary>
    public IReadOnlyList<ListSubscription> Subscriptions { get; init; } = [];

    /// <summary>How often URL sources are downloaded again (<c>RefreshInterval</c>, default 24 h).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>A disabled list (<c>Enabled: false</c>) is neither downloaded nor applied.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// How the names this list blocks are answered, whatever the policy's <c>BlockResponse</c>
    /// (<c>NxDomain</c>, <c>NoData</c>, <c>Refused</c>, <c>NullIp</c>); null: the policy's. For
    /// lists whose names need one answer, such as the DNS-bypass canaries.
    /// </summary>
    public BlockResponseMode? BlockResponse { get; init; }

    /// <summary>
    /// A missing source file reads as an empty list instead of being an error (<c>Optional</c>):
    /// for files the user's own tools write, such as the <c>rules/local/</c> files of
    /// <c>misinkhole review</c>, which no install or upgrade ships. The file is still watched, so
    /// it applies once it appears.
    /// </summary>
    public bool Optional { get; init; }

    /// <summary>
    /// Plain <c>http://</c> sources are allowed for this list (<c>AllowHttp</c>): without it they
    /// are a config error, as anyone on the way could change what the list blocks or allows.
    /// </summary>
    public bool AllowHttp { get; init; }

    /// <summary>The keys of one list; lists apply on reload.</summary>
    public static SectionKeys<ListOptions> Keys { get; } = new()
    {
        { "Sources", ReadSources },
        { "RefreshInterval", (s, o) => o with { RefreshInterval = s.Duration("RefreshInterval", o.RefreshInterval) } },
        { "Enabled", (s, o) => o with { Enabled = s.Bool("Enabled", o.Enabled) } },
        { "BlockResponse", ReadBlockResponse },
        { "Optional", (s, o) => o with { Optional = s.Bool("Optional", o.Optional) } },
        { "AllowHttp", (s, o) => o with { AllowHttp = s.Bool("AllowHttp", o.AllowHttp) } },
    };

    /// <summary>Whether <paramref name="source"/> may be missing: a file of an optional list, or a URL's download not made yet.</summary>
    public bool MayBeMissing(string source) => Optional || Subscriptions.Any(s => s.CachePath == source);

    private static ListOptions ReadBlockResponse(ConfigSection list, ListOptions options)
    {
        if (list["BlockResponse"] is null)
        {
            return options;
        }

        BlockResponseMode mode = list.Enum("BlockResponse", BlockResponseMode.NullIp, "NullIp, NxDomain, NoData or Refused");
        if (mode == BlockResponseMode.CustomAddresses)
        {
            list.Error("BlockResponse", "a list answers NullIp, NxDomain, NoData or Refused (addresses are a policy's)");
        }

        return options with { BlockResponse = mode };
    }

    private static ListOptions ReadSources(ConfigSection list, ListOptions options)
    {
        var sources = new List<string>();
        var subscriptions = new List<ListSubscription>();
        int problems = list.Errors.Count;
        foreach ((string key, string value) in list.Items("Sources"))
        {
            if (value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? url))
                {
                    list.Error(key, $"'{value}' is not a valid URL");
                    continue;
                }

                if (url.Scheme == Uri.UriSchemeHttp && !Peek(list, "AllowHttp"))
                {
                    list.Error(key, $"'{value}' is plain http://, which anyone on the way can change: use https://, or set \"AllowHttp\": true for this list");
                    continue;
                }

                // One cache file per URL, named after the list and a hash of the URL.
                string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(url.AbsoluteUri)))[..12];
                string cache = Path.Combine(list.DataDirectory, "lists", $"{list.Key}-{hash}.txt");
                subscriptions.Add(new ListSubscription(url, cache));
                sources.Add(cache);
                continue;
            }

            string path = list.FullPath(value);
            if (!File.Exists(path) && !Peek(list, "Optional"))
            {
                list.Error(key, $"file not found: {path} (\"Optional\": true reads a missing file as an empty list)");
                continue;
            }

            sources.Add(path);
        }

        if (sources.Count == 0 && list.Errors.Count == problems)
        {
            list.Error("Sources", "a list needs at least one source");
        }

        return options with { Sources = sources, Subscriptions = subscriptions };
    }

    /// <summary>A switch of the list (<c>Optional</c>, <c>AllowHttp</c>), peeked at while its sources are read (its own key reports a bad value).</summary>
    private static bool Peek(ConfigSection list, string key) => bool.TryParse(list[key], out bool on) && on;
}

using System.Collections;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The one table of a section's keys, kept by the section's owner next to its options: each key
/// with how it is read into the options, and whether a change to it needs a restart. The same
/// table checks for unknown keys, reads the section, and tells the config watcher what a reload
/// cannot apply, so a key is named once.
/// </summary>
/// <typeparam name="T">The owner's options record.</typeparam>
public sealed class SectionKeys<T> : IEnumerable<string>
{
    private readonly List<(string Key, Func<ConfigSection, T, T> Read, bool Restart)> _keys = [];

    /// <param name="restart">Every key of the section takes effect only at start.</param>
    public SectionKeys(bool restart = false) => RestartAll = restart;

    public bool RestartAll { get; }

    /// <summary>Adds a key and how it is read (collection-initializer syntax: <c>{ "Key", read }</c>).</summary>
    public void Add(string key, Func<ConfigSection, T, T> read) => _keys.Add((key, read, RestartAll));

    /// <summary>Adds a key that takes effect only at start, in a section that otherwise reloads.</summary>
    public void Add(string key, Func<ConfigSection, T, T> read, bool restart) => _keys.Add((key, read, restart || RestartAll));

    /// <summary>
    /// How a key the table does not name is read, for sections that hold named entries beside
    /// their settings (<c>Devices</c>); null: such a key is an error.
    /// </summary>
    public Func<ConfigSection, T, T>? Entry { get; private set; }

    /// <summary>Sets <see cref="Entry"/>: how the keys the table does not name are read.</summary>
    public SectionKeys<T> WithEntries(Func<ConfigSection, T, T> entry)
    {
        Entry = entry;
        return this;
    }

    /// <summary>Keys whose change needs a restart.</summary>
    public IEnumerable<string> RestartKeys => _keys.Where(k => k.Restart).Select(k => k.Key);

    /// <summary>
    /// Reads every key of the table into <paramref name="defaults"/> (each reader decides what an
    /// absent key means), then the other keys as entries, or reports them as unknown.
    /// </summary>
    public T Read(ConfigSection section, T defaults)
    {
        T options = defaults;
        foreach ((_, Func<ConfigSection, T, T> read, _) in _keys)
        {
            options = read(section, options);
        }

        foreach (ConfigSection child in section.Children())
        {
            if (_keys.Any(k => k.Key.Equals(child.Key, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (Entry is null)
            {
                section.Error(child.Key, $"unknown key (known: {string.Join(", ", this)})");
            }
            else
            {
                options = Entry(child, options);
            }
        }

        return options;
    }

    public IEnumerator<string> GetEnumerator() => _keys.Select(k => k.Key).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

namespace MiSinkhole.Hosting;

/// <summary>
/// One value to set in the config file: its key's sections and the value as JSON
/// (<see cref="JsonTextEditor"/>). <see cref="New"/>: the key must not be in the file yet (a new
/// device never replaces an entry written by hand, also one the running config refused).
/// </summary>
public sealed record ConfigEdit(IReadOnlyList<string> Path, string Value, bool New = false)
{
    public string Key => string.Join(':', Path);
}

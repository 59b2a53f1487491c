namespace MiSinkhole.Hosting;

/// <summary>One value to set in the config file: its key's sections and the value as JSON (<see cref="JsonTextEditor"/>).</summary>
public sealed record ConfigEdit(IReadOnlyList<string> Path, string Value)
{
    public string Key => string.Join(':', Path);
}

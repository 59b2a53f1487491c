namespace MiSinkhole.Core.Configuration;

/// <summary>One problem in the configuration: the key it is under (and the file, when known) and what is wrong.</summary>
public sealed record ConfigError(string Key, string Message)
{
    public string? File { get; init; }

    public int? Line { get; init; }

    /// <summary>Warnings are reported but do not make the configuration invalid.</summary>
    public bool IsWarning { get; init; }

    public override string ToString()
    {
        string where = File is null ? Key : Line is null ? $"{File}: {Key}" : $"{File}:{Line}: {Key}";
        return IsWarning ? $"{where}: warning: {Message}" : $"{where}: {Message}";
    }
}

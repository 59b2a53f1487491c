namespace MiSinkhole.Core.Configuration;

/// <summary>
/// One problem in the configuration: the key it is under (and the file, line and column, when
/// known) and what is wrong. A problem of the file itself (JSON syntax, unreadable) has an empty
/// key: <c>file:line:column: message</c>.
/// </summary>
public sealed record ConfigError(string Key, string Message)
{
    public string? File { get; init; }

    public int? Line { get; init; }

    /// <summary>1-based column (in characters) of a syntax error; null for a key's problem.</summary>
    public int? Column { get; init; }

    /// <summary>Warnings are reported but do not make the configuration invalid.</summary>
    public bool IsWarning { get; init; }

    public override string ToString()
    {
        string? location = File is null ? null
            : Line is null ? File
            : Column is null ? $"{File}:{Line}"
            : $"{File}:{Line}:{Column}";
        string where = location is null ? Key : Key.Length == 0 ? location : $"{location}: {Key}";
        return IsWarning ? $"{where}: warning: {Message}" : $"{where}: {Message}";
    }
}

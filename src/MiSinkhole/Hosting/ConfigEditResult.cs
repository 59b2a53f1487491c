namespace MiSinkhole.Hosting;

/// <summary>
/// What became of a change to the config file: applied (written and in force), or refused with
/// the HTTP status that says why (409: no file, or a key the environment or command line
/// overrides; 422: the changed config is not valid; 500: the file cannot be written) and every
/// problem, as file:line: key: message.
/// </summary>
public sealed record ConfigEditResult(bool Applied, int Status, string Message, IReadOnlyList<string> Errors)
{
    /// <summary>What the reload changed ("Devices: changed tv").</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];
}

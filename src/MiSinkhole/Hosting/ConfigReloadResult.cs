using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Hosting;

/// <summary>The outcome of one config reload: applied or refused, with the problems found.</summary>
public sealed record ConfigReloadResult(bool Applied, IReadOnlyList<ConfigError> Problems, IReadOnlyList<string> NeedRestart)
{
    /// <summary>What an applied reload changed, one entry per section: "Lists: added a, changed b", "DefaultPolicy changed".</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];
}

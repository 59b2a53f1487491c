using MiSinkhole.Core.Configuration;

namespace MiSinkhole.Hosting;

/// <summary>The outcome of one config reload: applied or refused, with the problems found.</summary>
public sealed record ConfigReloadResult(bool Applied, IReadOnlyList<ConfigError> Problems, IReadOnlyList<string> NeedRestart);

using Microsoft.Extensions.Logging;

namespace MiSinkhole.Core.Configuration;

/// <summary>
/// The standard <c>Logging:LogLevel</c> section of .NET: the minimum level per log category
/// (<c>Default</c> for all, or a category prefix such as <c>MiSinkhole.Core.Lists</c>).
/// </summary>
public sealed record LoggingOptions
{
    /// <summary>The <c>Default</c> entry, if given.</summary>
    public LogLevel? Default { get; init; }

    /// <summary>Category prefix → minimum level, in the order given (without <c>Default</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, LogLevel>> Categories { get; init; } = [];
}

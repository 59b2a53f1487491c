using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Postgres;

namespace MiSinkhole.Core.State;

/// <summary>The <c>State</c> section: whether the changes made through the API or the web page are shared with other instances.</summary>
public sealed record StateOptions
{
    public StateProvider Provider { get; init; } = StateProvider.Local;

    /// <summary>The PostgreSQL database of <see cref="StateProvider.Postgres"/>; null otherwise.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<StateOptions> Keys { get; } = new(restart: true)
    {
        { "Provider", (s, o) => o with { Provider = s.Enum("Provider", o.Provider, "Local or Postgres") } },
        { "ConnectionString", (s, o) => o with { ConnectionString = PostgresConnection.Read(s, o.Provider == StateProvider.Postgres, "State:Provider Postgres") } },
    };
}

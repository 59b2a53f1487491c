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
        {
            "ConnectionString", (s, o) =>
            {
                string? text = s["ConnectionString"];
                if (o.Provider == StateProvider.Postgres && string.IsNullOrWhiteSpace(text))
                {
                    s.Error("ConnectionString", "State:Provider Postgres needs the database (it may be the query log's): \"Host=db.home.example;Username=misinkhole;Password=…;Database=misinkhole\"");
                }
                else if (text is not null && !PostgresConnection.TryCheck(text, out string? problem))
                {
                    s.Error("ConnectionString", problem!);
                }

                return o with { ConnectionString = string.IsNullOrWhiteSpace(text) ? null : text };
            }
        },
    };
}

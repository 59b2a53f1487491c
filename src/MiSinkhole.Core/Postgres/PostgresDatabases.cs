using System.Collections.Concurrent;
using MiSinkhole.Core.Configuration;
using Npgsql;

namespace MiSinkhole.Core.Postgres;

/// <summary>
/// One Npgsql data source (its connection pool) per connection string, for the query log and the
/// shared state: made when first asked for, named <c>misinkhole INSTANCE</c> in
/// <c>pg_stat_activity</c>. A short connect timeout by default (3 s), so a database that went
/// away costs a writer thread that long, never the DNS path. Npgsql's slim builder: no reflection,
/// so the native build keeps it.
/// </summary>
public sealed class PostgresDatabases(SinkholeOptions options) : IDisposable
{
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _sources = new(StringComparer.Ordinal);

    public NpgsqlDataSource Get(string connectionString) => _sources.GetOrAdd(connectionString, text =>
    {
        var builder = new NpgsqlSlimDataSourceBuilder(text);
        builder.EnableArrays();
        builder.ConnectionStringBuilder.ApplicationName ??= "misinkhole " + options.Instance.Name;
        if (!System.Text.RegularExpressions.Regex.IsMatch(text, @"(^|;)\s*timeout\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
        {
            builder.ConnectionStringBuilder.Timeout = 3;
        }

        return builder.Build();
    });

    public void Dispose()
    {
        foreach (NpgsqlDataSource source in _sources.Values)
        {
            source.Dispose();
        }

        _sources.Clear();
    }
}

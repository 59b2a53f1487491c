using Npgsql;

namespace MiSinkhole.Core.Postgres;

/// <summary>Checks and describes a PostgreSQL connection string (Npgsql's keys) without ever showing its password.</summary>
public static class PostgresConnection
{
    /// <summary>Whether Npgsql reads <paramref name="text"/> and it names a host; else what is wrong.</summary>
    public static bool TryCheck(string text, out string? problem)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(text);
            problem = string.IsNullOrWhiteSpace(builder.Host) ? "the connection string names no Host" : null;
        }
        catch (ArgumentException e)
        {
            // Npgsql names the key, not the value: safe to show.
            problem = $"not a PostgreSQL connection string: {e.Message}";
        }

        return problem is null;
    }

    /// <summary>What a database that went away (or refuses) throws: its errors, a lost or refused connection, a timeout.</summary>
    public static bool IsFailure(Exception e) =>
        e is System.Data.Common.DbException or IOException or TimeoutException or System.Net.Sockets.SocketException
        || (e is InvalidOperationException && e.Source == "Npgsql");

    /// <summary><c>PostgreSQL db.home.example:5432/misinkhole</c>: for log messages.</summary>
    public static string Describe(string text)
    {
        var builder = new NpgsqlConnectionStringBuilder(text);
        return $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
    }
}

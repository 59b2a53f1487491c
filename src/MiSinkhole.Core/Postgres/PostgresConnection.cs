using Npgsql;

namespace MiSinkhole.Core.Postgres;

/// <summary>Checks and describes a PostgreSQL connection string (Npgsql's keys) without ever showing its password.</summary>
public static class PostgresConnection
{
    /// <summary>
    /// Reads the <c>ConnectionString</c> key of a section whose <c>Provider</c> may be
    /// <c>Postgres</c>: an error when it is needed and missing (<paramref name="needs"/> says for
    /// what), or when Npgsql cannot read it; null when blank.
    /// </summary>
    public static string? Read(MiSinkhole.Core.Configuration.ConfigSection section, bool needed, string needs)
    {
        string? text = section["ConnectionString"];
        if (needed && string.IsNullOrWhiteSpace(text))
        {
            section.Error("ConnectionString", $"{needs} needs the database: \"Host=db.home.example;Username=misinkhole;Password=…;Database=misinkhole\"");
        }
        else if (text is not null && !TryCheck(text, out string? problem))
        {
            section.Error("ConnectionString", problem!);
        }

        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

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

    /// <summary>
    /// What a database that went away (or refuses, or was migrated by a newer instance) throws:
    /// its errors, a lost or refused connection, a timeout, Npgsql's state errors on a broken
    /// connection. The background services that use it log these and go on; none may stop the daemon.
    /// </summary>
    public static bool IsFailure(Exception e) =>
        e is System.Data.Common.DbException or IOException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException;

    /// <summary>The wait before the next try after <paramref name="failures"/> in a row: 1 s, doubling, at most 30 s.</summary>
    public static TimeSpan BackOff(int failures) => TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Clamp(failures - 1, 0, 10))));

    /// <summary><c>PostgreSQL db.home.example:5432/misinkhole</c>: for log messages.</summary>
    public static string Describe(string text)
    {
        var builder = new NpgsqlConnectionStringBuilder(text);
        return $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
    }
}

using Npgsql;

namespace MiSinkhole.Core.Postgres;

/// <summary>
/// Creates and migrates the tables in a shared database at start: each component's schema has a
/// version in <c>misinkhole_schema</c>, and the steps it lacks run in one transaction under an
/// advisory lock, so two instances starting together migrate once. A database at a version this
/// build does not know (a newer instance migrated it) is refused with a clear error, never
/// changed.
/// </summary>
public static class PostgresSchema
{
    /// <summary>The advisory lock every schema change and partition maintenance takes ("misinkhole" in ASCII, as a number).</summary>
    public const long LockKey = 0x6D6973696E6B686F;

    /// <summary>Brings <paramref name="component"/> to the last of <paramref name="steps"/> (step i makes version i + 1).</summary>
    /// <exception cref="InvalidOperationException">The database is at a later version than this build knows.</exception>
    public static void Migrate(NpgsqlConnection connection, string component, IReadOnlyList<string> steps)
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        Execute(connection, $"SELECT pg_advisory_xact_lock({LockKey})");
        Execute(connection, "CREATE TABLE IF NOT EXISTS misinkhole_schema (component text PRIMARY KEY, version integer NOT NULL, migrated timestamptz NOT NULL DEFAULT now())");
        using var select = new NpgsqlCommand("SELECT version FROM misinkhole_schema WHERE component = @component", connection);
        select.Parameters.AddWithValue("component", component);
        int version = select.ExecuteScalar() is int v ? v : 0;
        if (version > steps.Count)
        {
            throw new InvalidOperationException($"the database's {component} schema is at version {version}, newer than this build's {steps.Count}: upgrade this instance");
        }

        for (int i = version; i < steps.Count; i++)
        {
            Execute(connection, steps[i]);
        }

        if (version < steps.Count)
        {
            using var upsert = new NpgsqlCommand(
                "INSERT INTO misinkhole_schema (component, version) VALUES (@component, @version) ON CONFLICT (component) DO UPDATE SET version = excluded.version, migrated = now()", connection);
            upsert.Parameters.AddWithValue("component", component);
            upsert.Parameters.AddWithValue("version", steps.Count);
            upsert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}

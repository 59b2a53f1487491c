using MiSinkhole.Core.QueryLog;
using MiSinkhole.Core.State;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Configuration;

/// <summary>The keys of a shared PostgreSQL: a provider without its database, a connection string Npgsql cannot read, a bad instance name are errors naming the key; no password is ever echoed.</summary>
[TestClass]
public sealed class SharedDatabaseConfigTests
{
    [TestMethod]
    [DataRow("QueryLog:Provider", "Postgres", "QueryLog:ConnectionString: QueryLog:Provider Postgres needs the database")]
    [DataRow("State:Provider", "Postgres", "State:ConnectionString: State:Provider Postgres needs the database")]
    [DataRow("State:ConnectionString", "Hots=db;Password=hunter2", "State:ConnectionString: not a PostgreSQL connection string")]
    [DataRow("QueryLog:ConnectionString", "Username=misinkhole;Password=hunter2", "QueryLog:ConnectionString: the connection string names no Host")]
    [DataRow("Instance:Name", "living room", "Instance:Name: 'living room' is not an instance name")]
    [DataRow("QueryLog:Provider", "Redis", "QueryLog:Provider")]
    public void ABadKey_IsAnErrorNamingIt(string key, string value, string expected)
    {
        InvalidOperationException problems = Assert.ThrowsExactly<InvalidOperationException>(() => new TestConfig().Set(key, value).Read(Path.GetTempPath()));

        StringAssert.Contains(problems.Message, expected);
        Assert.DoesNotContain("hunter2", problems.Message, "the password is never shown");
    }

    [TestMethod]
    public void SharedDatabases_AreRead()
    {
        var options = new TestConfig()
            .Set("Instance:Name", "pi")
            .Set("QueryLog:Provider", "Postgres").Set("QueryLog:ConnectionString", "Host=nas;Username=misinkhole;Password=x")
            .Set("State:Provider", "Postgres").Set("State:ConnectionString", "Host=nas;Username=misinkhole;Password=x")
            .Read(Path.GetTempPath());

        Assert.AreEqual("pi", options.Instance.Name);
        Assert.AreEqual(QueryLogProvider.Postgres, options.QueryLog.Provider);
        Assert.AreEqual(StateProvider.Postgres, options.State.Provider);
        Assert.AreEqual("PostgreSQL nas:5432/misinkhole", MiSinkhole.Core.Postgres.PostgresConnection.Describe(options.State.ConnectionString!));
    }
}

using MiSinkhole.TestKit;

namespace MiSinkhole.Tests;

/// <summary>
/// Two daemons, <c>pi</c> and <c>nas</c>, each on its own household config file, sharing their
/// state in one private PostgreSQL: what the shared-state tests start with. Disposed in reverse.
/// </summary>
internal sealed class TwoInstances : IAsyncDisposable
{
    private TwoInstances(PostgresServer postgres, FakeUpstream upstream, HouseholdConfig piConfig, HouseholdConfig nasConfig)
    {
        Postgres = postgres;
        Upstream = upstream;
        PiConfig = piConfig;
        NasConfig = nasConfig;
    }

    public PostgresServer Postgres { get; }

    public FakeUpstream Upstream { get; }

    public HouseholdConfig PiConfig { get; }

    public HouseholdConfig NasConfig { get; }

    public RunningDaemon Pi { get; private set; } = null!;

    public RunningDaemon Nas { get; private set; } = null!;

    /// <param name="overrides">More command-line settings for both.</param>
    public static async Task<TwoInstances> StartAsync(params string[] overrides)
    {
        PostgresServer postgres = await PostgresServer.StartNewAsync();
        var upstream = new FakeUpstream();
        var two = new TwoInstances(postgres, upstream, new HouseholdConfig(upstream.Address), new HouseholdConfig(upstream.Address));
        try
        {
            two.Pi = await two.PiConfig.StartAsync([.. Shared(postgres, "pi"), .. overrides]);
            two.Nas = await two.NasConfig.StartAsync([.. Shared(postgres, "nas"), .. overrides]);
            return two;
        }
        catch
        {
            await two.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Nas is not null)
        {
            await Nas.DisposeAsync();
        }

        if (Pi is not null)
        {
            await Pi.DisposeAsync();
        }

        NasConfig.Dispose();
        PiConfig.Dispose();
        await Upstream.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    private static string[] Shared(PostgresServer postgres, string instance) =>
        [$"--Instance:Name={instance}", "--State:Provider=Postgres", $"--State:ConnectionString={postgres.ConnectionString}"];
}

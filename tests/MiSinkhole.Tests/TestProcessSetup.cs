namespace MiSinkhole.Tests;

/// <summary>
/// The test process hosts several daemons at once (four test classes in parallel), each with
/// blocking start-up work (rule compilation, SQLite, netlink), next to fake upstream servers
/// that answer on the thread pool. On two cores the pool's slow thread injection could stall a
/// fake upstream past the daemon's upstream timeout (a SERVFAIL that no user would ever see,
/// since the real upstream is another process); a larger minimum keeps the fakes responsive.
/// </summary>
[TestClass]
public static class TestProcessSetup
{
    [AssemblyInitialize]
    public static void RaiseThreadPoolMinimum(TestContext context)
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }
}

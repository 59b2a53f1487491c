using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace MiSinkhole.TestKit;

/// <summary>A meter factory as the daemon's container provides it, for services a test builds by hand.</summary>
public static class TestMeters
{
    public static IMeterFactory Factory() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
}

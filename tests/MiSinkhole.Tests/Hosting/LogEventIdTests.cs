using System.Reflection;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Tests.Hosting;

/// <summary>Every <c>[LoggerMessage]</c> of the daemon's assemblies has its own event id, inside its owner's block of <see cref="LogEventIds"/>.</summary>
[TestClass]
public sealed class LogEventIdTests
{
    private static readonly Assembly[] DaemonAssemblies = [typeof(LogEventIds).Assembly, typeof(MiSinkhole.Hosting.DaemonHost).Assembly];

    [TestMethod]
    public void EventIds_AreUniqueAcrossTheDaemon()
    {
        List<(int Id, string Method)> events = Events();
        Assert.IsGreaterThan(20, events.Count, "the daemon's log messages are found");
        string[] twice = [.. events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}")];
        Assert.IsEmpty(twice, "event ids used twice: " + string.Join("; ", twice));
    }

    [TestMethod]
    public void EventIds_LieInTheBlockOfTheirOwner()
    {
        int[] blocks = [.. typeof(LogEventIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(LogEventIds.BlockSize)).Select(f => (int)f.GetRawConstantValue()!)];
        Assert.AreEqual(blocks.Length, blocks.Distinct().Count(), "each owner has its own block");
        foreach (IGrouping<string, (int Id, string Method)> owner in Events().GroupBy(e => e.Method[..e.Method.LastIndexOf('.')]))
        {
            int[] used = [.. owner.Select(e => e.Id / LogEventIds.BlockSize * LogEventIds.BlockSize).Distinct()];
            Assert.HasCount(1, used, $"{owner.Key} numbers its events from one block, not {string.Join(", ", used)}");
            CollectionAssert.Contains(blocks, used[0], $"{owner.Key}: {used[0]} is no block of LogEventIds");
        }
    }

    private static List<(int Id, string Method)> Events() =>
        [.. DaemonAssemblies.SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => (m.Attribute!.EventId, $"{m.Method.DeclaringType!.FullName}.{m.Method.Name}"))];
}

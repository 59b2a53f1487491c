using Microsoft.Extensions.Logging;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Discovery;
using MiSinkhole.Core.Lists;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Core.State;

/// <summary>A review decision made on another instance: the name appended to this instance's own <c>rules/local/</c> file (nothing when it is there already), and the rules reloaded.</summary>
public sealed partial class ReviewChangeHandler(ActiveConfig config, ListRefreshService lists, TimeProvider time, ILogger<ReviewChangeHandler> logger) : ISharedChangeHandler
{
    public const string KindName = "review";

    public string Kind => KindName;

    public void Apply(SharedChange change)
    {
        if (ReviewDecision.Parse(change.Value) is not { } decision)
        {
            LogRefused(change.Subject, change.Instance, $"'{change.Value}' is no decision");
            return;
        }

        try
        {
            ReviewOutcome outcome = LocalDecisions.Apply(config.Current, change.Subject, decision, $"from instance {change.Instance}", time.GetLocalNow());
            lists.ReloadChangedLocalFiles(outcome.Appended ? outcome.File : null);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            LogRefused(change.Subject, change.Instance, e.Message);
        }
    }

    [LoggerMessage(EventId = LogEventIds.State + 20, Level = LogLevel.Warning, Message = "Shared state: the review of {Name} made on {Instance} cannot be filed here: {Problem}")]
    private partial void LogRefused(string name, string instance, string problem);
}

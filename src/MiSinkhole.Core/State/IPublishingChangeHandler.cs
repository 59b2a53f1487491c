namespace MiSinkhole.Core.State;

/// <summary>A handler that also notices changes of its kind here and publishes them (not through the API): <see cref="SharedState"/> attaches itself when it shares.</summary>
public interface IPublishingChangeHandler
{
    void Attach(SharedState state);
}

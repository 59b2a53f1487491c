namespace MiSinkhole.Core.State;

/// <summary>Applies on this instance the changes of one kind that another instance made (registered in DI; <see cref="SharedState"/> calls it).</summary>
public interface ISharedChangeHandler
{
    /// <summary>The kind it applies: <c>pause</c>, <c>config</c>, <c>review</c>.</summary>
    string Kind { get; }

    /// <summary>Applies it; a change that cannot be applied here is logged by the handler, never thrown.</summary>
    void Apply(SharedChange change);
}

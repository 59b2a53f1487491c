namespace MiSinkhole.Core.Pipeline;

/// <summary>What the policy decided for the query name (or a CNAME target of its answer).</summary>
public enum PolicyAction
{
    /// <summary>No list of the device's policy holds the name.</summary>
    None = 0,

    /// <summary>An Allow list holds it: answered normally, rules of Block and Log lists ignored.</summary>
    Allowed,

    /// <summary>A Log list holds it: answered normally and recorded as "would have blocked".</summary>
    Logged,

    /// <summary>A Block list holds it: sinkholed.</summary>
    Blocked,
}

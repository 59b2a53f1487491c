using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Policies;

/// <summary>A policy's verdict on one name: the action and the list that caused it (-1 for none).</summary>
public readonly record struct PolicyDecision(PolicyAction Action, int ListIndex);

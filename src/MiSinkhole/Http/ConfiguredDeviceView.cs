namespace MiSinkhole.Http;

/// <summary>
/// A configured device as /api/devices shows it: its configured policy, and the policy in force
/// now with why (schedule, pause), as <see cref="Core.Clients.ClientPolicyResolver"/> gives it.
/// </summary>
public sealed record ConfiguredDeviceView(string Name, string Policy, IReadOnlyList<string> Match, bool Seen)
{
    public string PolicyInForce { get; init; } = Policy;

    public string Why { get; init; } = "";
}

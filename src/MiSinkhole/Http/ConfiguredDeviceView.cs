namespace MiSinkhole.Http;

/// <summary>A configured device as /api/devices shows it.</summary>
public sealed record ConfiguredDeviceView(string Name, string Policy, IReadOnlyList<string> Match, bool Seen);

using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>Knows no names: where neither lease files nor a name server are configured.</summary>
public sealed class NoClientNames : IClientNames
{
    public static NoClientNames Instance { get; } = new();

    public string? TryGetName(in ClientAddress address) => null;
}

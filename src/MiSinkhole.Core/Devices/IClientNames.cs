using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Devices;

/// <summary>
/// Host names for clients that no configured device covers (from DHCP lease files, optionally a
/// PTR query to the router), for the device inventory. Answers from a cache and never waits; an
/// unknown address may start a background lookup.
/// </summary>
public interface IClientNames
{
    /// <summary>The client's host name, if one is known yet.</summary>
    string? TryGetName(in ClientAddress address);
}

namespace MiSinkhole.Core.Clients;

/// <summary>Why a client has the policy it has (before schedules and pauses).</summary>
public enum PolicySource
{
    /// <summary>The client is no configured device: <c>DefaultPolicy</c>.</summary>
    Default = 0,

    /// <summary>A configured device: its <c>Policy</c> (or <c>DefaultPolicy</c> when it names none).</summary>
    Device,

    /// <summary>No configured device, but flagged as a probable Xiaomi device: <c>Devices:AutoPolicy</c>.</summary>
    AutoPolicy,
}

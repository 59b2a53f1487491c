using MiSinkhole.Core.Policies;

namespace MiSinkhole.Core.Devices;

/// <summary>A device from the config with its policy resolved against the compiled rules.</summary>
public sealed record ConfiguredDevice(string Name, CompiledPolicy Policy, DeviceOptions Options);

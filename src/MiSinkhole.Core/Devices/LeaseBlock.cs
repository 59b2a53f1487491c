namespace MiSinkhole.Core.Devices;

/// <summary>
/// What <see cref="IscDhcpdLeaseParser"/> gathered from one <c>lease</c> or <c>iaaddr</c> block
/// while reading its statements, before deciding whether the block gives a lease.
/// </summary>
internal sealed class LeaseBlock
{
    /// <summary>The closing brace was seen (the file did not end inside the block).</summary>
    public bool Complete { get; set; }

    /// <summary>False when a statement that matters could not be read.</summary>
    public bool Valid { get; set; } = true;

    /// <summary>False for binding states that mean nobody holds the address; a block without one (old files, fixed leases) counts as in use.</summary>
    public bool InUse { get; set; } = true;

    public DateTimeOffset? Ends { get; set; }

    public MacAddress? Mac { get; set; }

    public string? ClientHostName { get; set; }

    public string? DdnsHostName { get; set; }

    public string? DdnsForwardName { get; set; }

    public string? HostName => ClientHostName ?? DdnsHostName ?? DdnsForwardName;
}

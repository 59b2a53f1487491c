namespace MiSinkhole.Core.Devices;

/// <summary>
/// How far a netlink dump reply has got after parsing some of its datagrams, so the reader knows
/// whether to receive more, stop, or give up.
/// </summary>
public enum NetlinkDumpStatus
{
    /// <summary>The data ended before NLMSG_DONE: more datagrams follow.</summary>
    Incomplete,

    /// <summary>NLMSG_DONE was reached: the dump is complete.</summary>
    Done,

    /// <summary>The kernel answered NLMSG_ERROR (or a failed NLMSG_DONE); the errno is reported beside.</summary>
    Error,

    /// <summary>A message header was inconsistent (length shorter than a header or past the end of the data).</summary>
    Malformed,
}

namespace MiSinkhole.Core.Net;

/// <summary>The local address and interface a UDP datagram arrived on (IP_PKTINFO), to reply from.</summary>
public record struct PacketInfo(bool IsSet, bool IsIPv4, UInt128 LocalAddress, int InterfaceIndex);

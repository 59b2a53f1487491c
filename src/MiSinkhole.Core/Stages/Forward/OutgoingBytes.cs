namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Bytes an <see cref="EncryptedConnection"/> writes, in order; <see cref="FlowControlled"/> of
/// them count against the peer's flow-control window (HTTP/2 DATA payloads; 0 for everything else).
/// </summary>
internal readonly record struct OutgoingBytes(byte[] Bytes, int FlowControlled = 0);

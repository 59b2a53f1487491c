using CsCheck;

namespace MiSinkhole.Dns.Tests.Properties;

/// <summary>Generators of DNS names and packets for the property tests.</summary>
internal static class DnsGen
{
    /// <summary>A host name of 1 to 5 labels, each 1 to 30 of [a-zA-Z0-9-], at most 253 characters.</summary>
    public static readonly Gen<string> Name =
        Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"], 1, 30]
            .Array[1, 5]
            .Select(labels => string.Join('.', labels))
            .Where(name => name.Length <= 253);

    /// <summary>A packet mutated from <paramref name="valid"/>: bytes changed, cut short or extended.</summary>
    public static Gen<byte[]> Mutated(byte[] valid) =>
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 65535].Array[1, 6], Gen.Int[0, valid.Length + 8], (kind, edits, length) =>
        {
            byte[] packet = [.. valid];
            foreach (int edit in edits)
            {
                packet[edit % packet.Length] = (byte)(edit >> 8);
            }

            return kind switch
            {
                0 => packet,
                1 => packet[..Math.Min(length, packet.Length)],
                2 => [.. packet, .. new byte[Math.Max(0, length - packet.Length)]],
                _ => packet[..Math.Max(0, packet.Length - 1 - (length % 8))],
            };
        });
}

using System.Net;

namespace MiSinkhole.Core.Net;

/// <summary>An address range in CIDR form (a single address is a /32 or /128).</summary>
public readonly record struct IpNetwork(UInt128 Prefix, int PrefixLength, bool IsIPv4)
{
    public bool Contains(in ClientAddress address)
    {
        if (address.IsIPv4 != IsIPv4)
        {
            return false;
        }

        int width = IsIPv4 ? 32 : 128;
        if (PrefixLength == 0)
        {
            return true;
        }

        return (address.Bits >> (width - PrefixLength)) == (Prefix >> (width - PrefixLength));
    }

    /// <summary>Parses "10.0.0.0/8", "fd00::/8" or a single address.</summary>
    public static bool TryParse(string text, out IpNetwork network)
    {
        network = default;
        int slash = text.IndexOf('/');
        string addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address))
        {
            return false;
        }

        ClientAddress parsed = ClientAddress.FromIPAddress(address);
        int width = parsed.IsIPv4 ? 32 : 128;
        int length = width;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out length) || length > width))
        {
            return false;
        }

        UInt128 bits = parsed.Bits;
        if (length < width)
        {
            bits = length == 0 ? UInt128.Zero : (bits >> (width - length)) << (width - length);
        }

        network = new IpNetwork(bits, length, parsed.IsIPv4);
        return true;
    }

    public override string ToString() => $"{new ClientAddress(Prefix, IsIPv4, 0)}/{PrefixLength}";
}

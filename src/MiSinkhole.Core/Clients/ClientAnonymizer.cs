using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Devices;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Clients;

/// <summary>
/// <c>QueryLog:AnonymizeClients</c>, wherever a client is shown or stored: the query log, the
/// inventory (and so <c>/api/devices</c>, <c>/api/unclassified</c> and <c>inventory.db</c>) and
/// the log. A client's address (and MAC address) becomes a keyed hash, <c>anon-</c> and 16 hex
/// digits: the same client always gets the same token, so what one device did can still be
/// followed, but the address cannot be read back (nor guessed by hashing every address) without
/// the key, 32 random bytes kept beside the query log (<c>querylog.db.key</c>, mode 0600, never
/// logged). Host names from leases or PTR are not shown at all then. Off: the address as text.
/// </summary>
public sealed class ClientAnonymizer
{
    /// <summary>What every token starts with.</summary>
    public const string Prefix = "anon-";

    private readonly Lazy<byte[]> _key;

    public ClientAnonymizer(SinkholeOptions options)
        : this(options.QueryLog.AnonymizeClients, options.QueryLog.Path + ".key")
    {
    }

    public ClientAnonymizer(bool enabled, string keyFile)
    {
        Enabled = enabled;
        KeyFile = keyFile;
        _key = new Lazy<byte[]>(() => LoadOrCreateKey(keyFile));
    }

    /// <summary>Addresses shown as they are (tests, the CLI).</summary>
    public static ClientAnonymizer Off { get; } = new(false, "");

    public bool Enabled { get; }

    /// <summary>The key's file (made on first use).</summary>
    public string KeyFile { get; }

    /// <summary>How <paramref name="client"/> is shown and stored: its token, or its address (the port left out).</summary>
    public string Show(in ClientAddress client)
    {
        if (!Enabled)
        {
            return (client with { Port = 0 }).ToString();
        }

        Span<byte> address = stackalloc byte[17];
        BinaryPrimitives.WriteUInt128BigEndian(address, client.Bits);
        address[16] = client.IsIPv4 ? (byte)4 : (byte)6;
        return Token(address);
    }

    /// <summary>How a MAC address is shown and stored: its token, or its text.</summary>
    public string Show(MacAddress mac)
    {
        if (!Enabled)
        {
            return mac.ToString();
        }

        Span<byte> bytes = stackalloc byte[9];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, mac.Value);
        bytes[8] = (byte)'M'; // never the token of an address
        return Token(bytes);
    }

    /// <summary>A client given by text (an API filter such as <c>?device=192.168.1.23</c>) as it is shown: an address becomes its token; anything else is left as it is.</summary>
    public string Show(string client) =>
        Enabled && IPAddress.TryParse(client, out IPAddress? address) ? Show(ClientAddress.FromIPAddress(address)) : client;

    /// <summary>Whether <paramref name="shown"/> is a token of this anonymiser's kind.</summary>
    public static bool IsToken(string shown) => shown.StartsWith(Prefix, StringComparison.Ordinal);

    private string Token(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_key.Value, data, hash);
        return Prefix + Convert.ToHexStringLower(hash[..8]);
    }

    private static byte[] LoadOrCreateKey(string path)
    {
        if (File.Exists(path) && File.ReadAllBytes(path) is { Length: 32 } existing)
        {
            return existing;
        }

        byte[] key = RandomNumberGenerator.GetBytes(32);
        if (SecretFile.TryCreate(path, key))
        {
            return key;
        }

        // Made meanwhile by another process, or there and unusable: read what is there.
        return File.ReadAllBytes(path) is { Length: 32 } raced ? raced : throw new IOException($"{path} is not a 32-byte key: move it aside, and a new one is made (anonymised clients then get new tokens)");
    }
}

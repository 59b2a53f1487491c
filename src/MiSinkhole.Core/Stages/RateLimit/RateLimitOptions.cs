using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;

namespace MiSinkhole.Core.Stages.RateLimit;

/// <summary>
/// The <c>RateLimit</c> section: what one client (an address, grouped by prefix) may ask of the
/// daemon. A token bucket per client for UDP queries (<see cref="Rate"/> a second, bursts of
/// <see cref="Burst"/>), and a share of <c>Dns:MaxInFlight</c> it may hold waiting on upstreams
/// (<see cref="UpstreamShare"/>, UDP and TCP). The defaults are far above what a phone loading a
/// busy page asks (README, "DNS: what one client can do", has the measurement).
/// </summary>
public sealed record RateLimitOptions
{
    /// <summary>Loopback: the box itself, or a forwarder on it that speaks for many clients; never spoofable from the network.</summary>
    public static readonly IReadOnlyList<string> DefaultExempt = ["127.0.0.0/8", "::1"];

    /// <summary>Sustained UDP queries a second per client; 0 turns the token bucket off.</summary>
    public int Rate { get; init; } = 100;

    /// <summary>
    /// Queries a client may send at once after a quiet spell (the bucket's size). Headless Chromium
    /// loading a page of 360 host names on a dual-stack network needs 926 at 100 a second
    /// (<c>tests/bench/pageload.sh</c>): twice that, so a busy phone never meets it.
    /// </summary>
    public int Burst { get; init; } = 2000;

    /// <summary>IPv4 clients are grouped by this prefix length (32: each address on its own).</summary>
    public int IPv4Prefix { get; init; } = 32;

    /// <summary>IPv6 clients are grouped by this prefix length (56: a customer's usual delegation, so privacy addresses do not each get a bucket).</summary>
    public int IPv6Prefix { get; init; } = 56;

    /// <summary>Clients no limit applies to.</summary>
    public AddressSet Exempt { get; init; } = Parse(DefaultExempt);

    public RateLimitAction Action { get; init; } = RateLimitAction.Truncate;

    /// <summary>Percent of <c>Dns:MaxInFlight</c> one client may hold waiting on upstreams; 100 turns the share off.</summary>
    public int UpstreamShare { get; init; } = 25;

    /// <summary>The group a client's address counts in: its prefix (<see cref="IPv4Prefix"/>, <see cref="IPv6Prefix"/>) and family.</summary>
    public (UInt128 Prefix, bool IsIPv4) Group(in ClientAddress client) =>
        client.IsIPv4 ? (client.Bits >> (32 - IPv4Prefix), true) : (client.Bits >> (128 - IPv6Prefix), false);

    /// <summary>The section's keys; a change takes effect at the next start.</summary>
    public static SectionKeys<RateLimitOptions> Keys { get; } = new(restart: true)
    {
        { "Rate", (s, o) => o with { Rate = s.Integer("Rate", o.Rate, 0, 1_000_000_000) } },
        { "Burst", (s, o) => o with { Burst = s.Integer("Burst", o.Burst, 1, 10_000_000) } },
        { "IPv4Prefix", (s, o) => o with { IPv4Prefix = s.Integer("IPv4Prefix", o.IPv4Prefix, 8, 32) } },
        { "IPv6Prefix", (s, o) => o with { IPv6Prefix = s.Integer("IPv6Prefix", o.IPv6Prefix, 16, 128) } },
        { "Exempt", ReadExempt },
        { "Action", (s, o) => o with { Action = s.Enum("Action", o.Action, "Drop, Truncate, Refused") } },
        { "UpstreamShare", (s, o) => o with { UpstreamShare = s.Integer("UpstreamShare", o.UpstreamShare, 1, 100) } },
    };

    private static RateLimitOptions ReadExempt(ConfigSection section, RateLimitOptions options)
    {
        if (section["Exempt"] is null && !section.Section("Exempt").Children().Any())
        {
            return options; // absent: the default (loopback)
        }

        return options with { Exempt = section.Networks("Exempt", "e.g. 192.168.1.1, 10.0.0.0/8, fd00::/8") };
    }

    private static AddressSet Parse(IEnumerable<string> ranges) =>
        new(ranges.Select(r => IpNetwork.TryParse(r, out IpNetwork n) ? n : throw new ArgumentException(r)));
}

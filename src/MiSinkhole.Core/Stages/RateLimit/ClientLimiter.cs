using System.Runtime.CompilerServices;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;

namespace MiSinkhole.Core.Stages.RateLimit;

/// <summary>
/// What each client (an address grouped by <c>RateLimit:IPv4Prefix</c> / <c>IPv6Prefix</c>) may
/// still ask: its token bucket and how many of its queries wait on upstreams now. A fixed table
/// (4-way sets, found by a keyed hash, so nobody can aim at a set), allocated once: a flood from
/// ever new addresses costs no memory. A client not in the table starts with a full bucket, so
/// losing an entry to another client only ever makes the limit kinder, never harsher; entries
/// with queries waiting upstream are never given away, so every slot taken is given back. Each
/// set has its own spin lock, held for a few arithmetic operations.
/// </summary>
public sealed class ClientLimiter
{
    /// <summary>Sets in the table (a power of two); 4 ways each, so 16,384 clients are tracked at once.</summary>
    public const int Sets = 4096;

    /// <summary>Returned by <see cref="TryEnterUpstream"/> for a query that is not counted (exempt, or no room to track it).</summary>
    public const int Untracked = -1;

    /// <summary>Returned by <see cref="TryEnterUpstream"/> when the client already holds its share.</summary>
    public const int OverShare = -2;

    /// <summary>Returned by <see cref="TryEnterUpstream"/> when every transport's <c>Dns:MaxInFlight</c> budget is in use.</summary>
    public const int OverBudget = -3;

    private const int Ways = 4;
    private const long MilliTokensPerQuery = 1000;

    private readonly Entry[] _entries = new Entry[Sets * Ways];
    private readonly int[] _locks = new int[Sets];
    private readonly int[] _waiting = new int[2];
    private readonly ulong _seed0;
    private readonly ulong _seed1;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly AddressSet _exempt;
    private readonly int _ipv4Shift;
    private readonly int _ipv6Shift;
    private readonly long _rate;
    private readonly long _capacity;
    private readonly long _refillCap;
    private readonly int _share;
    private readonly int _budget;

    public ClientLimiter(SinkholeOptions options, TimeProvider time)
    {
        RateLimitOptions limits = options.RateLimit;
        _time = time;
        _origin = time.GetTimestamp();
        _exempt = limits.Exempt;
        _ipv4Shift = 32 - limits.IPv4Prefix;
        _ipv6Shift = 128 - limits.IPv6Prefix;
        _rate = limits.Rate;
        _capacity = limits.Burst * MilliTokensPerQuery;
        _refillCap = _rate > 0 ? (_capacity / _rate) + 1 : 0;
        _budget = options.Dns.MaxInFlight;
        _share = limits.UpstreamShare >= 100 ? int.MaxValue : Math.Max(1, _budget * limits.UpstreamShare / 100);
        // Random.Shared, not the cryptographic generator: that needs OpenSSL, which a trimmed build
        // under emulation may lack, and a hash seed only has to be unknown, not unguessable forever.
        _seed0 = (ulong)Random.Shared.NextInt64() | 1;
        _seed1 = (ulong)Random.Shared.NextInt64();
    }

    /// <summary>Whether the token bucket is on (<c>RateLimit:Rate</c> above 0).</summary>
    public bool RateLimited => _rate > 0;

    /// <summary>Queries a client may have waiting on upstreams at once.</summary>
    public int Share => _share;

    /// <summary>Whether no limit applies to <paramref name="client"/> (<c>RateLimit:Exempt</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsExempt(in ClientAddress client) => _exempt.Networks.Count > 0 && _exempt.Contains(client);

    /// <summary>Takes one token from the client's bucket; false when it is empty (the query is over the rate).</summary>
    public bool TryTake(in ClientAddress client)
    {
        if (_rate == 0)
        {
            return true;
        }

        long now = Now();
        (UInt128 key, byte family) = Key(client);
        int set = Set(key, family);
        Lock(set);
        try
        {
            int index = FindOrAdd(set, key, family, now);
            if (index < 0)
            {
                return true; // not tracked now: the kinder choice
            }

            ref Entry entry = ref _entries[index];
            long elapsed = Math.Min(Math.Max(now - entry.Touched, 0), _refillCap);
            long tokens = Math.Min(_capacity, entry.Tokens + (elapsed * _rate));
            entry.Touched = now;
            if (tokens < MilliTokensPerQuery)
            {
                entry.Tokens = tokens;
                return false;
            }

            entry.Tokens = tokens - MilliTokensPerQuery;
            return true;
        }
        finally
        {
            Unlock(set);
        }
    }

    /// <summary>
    /// Counts a query of <paramref name="client"/> that is about to wait on upstreams over
    /// <paramref name="transport"/>. Returns the slot to hand to <see cref="ExitUpstream"/> when the
    /// answer is in (or <see cref="Untracked"/>), or <see cref="OverShare"/> / <see cref="OverBudget"/>
    /// when it must not wait: the client holds its share already, or the transport's whole budget is in use.
    /// </summary>
    public int TryEnterUpstream(in ClientAddress client, DnsTransport transport)
    {
        ref int waiting = ref _waiting[Budget(transport)];
        if (Interlocked.Increment(ref waiting) > _budget)
        {
            Interlocked.Decrement(ref waiting);
            return OverBudget;
        }

        if (_share == int.MaxValue || IsExempt(client))
        {
            return Untracked;
        }

        (UInt128 key, byte family) = Key(client);
        int set = Set(key, family);
        Lock(set);
        try
        {
            int index = FindOrAdd(set, key, family, Now());
            if (index < 0)
            {
                return Untracked; // every way of the set has queries waiting: counted by the budget alone
            }

            ref Entry entry = ref _entries[index];
            if (entry.Upstream >= _share)
            {
                Interlocked.Decrement(ref waiting);
                return OverShare;
            }

            entry.Upstream++;
            return index;
        }
        finally
        {
            Unlock(set);
        }
    }

    /// <summary>Gives back what <see cref="TryEnterUpstream"/> took (a slot, or <see cref="Untracked"/>).</summary>
    public void ExitUpstream(int slot, DnsTransport transport)
    {
        Interlocked.Decrement(ref _waiting[Budget(transport)]);
        if (slot < 0)
        {
            return;
        }

        int set = slot / Ways;
        Lock(set);
        _entries[slot].Upstream--;
        Unlock(set);
    }

    /// <summary>UDP has its budget; the streams (TCP, DoT) share the other, as they share the TCP contexts.</summary>
    private static int Budget(DnsTransport transport) => transport == DnsTransport.Udp ? 0 : 1;

    /// <summary>Queries waiting on upstreams now over <paramref name="transport"/>.</summary>
    public int Waiting(DnsTransport transport) => Volatile.Read(ref _waiting[Budget(transport)]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (UInt128 Key, byte Family) Key(in ClientAddress client) =>
        client.IsIPv4 ? (client.Bits >> _ipv4Shift, (byte)1) : (client.Bits >> _ipv6Shift, (byte)2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Set(UInt128 key, byte family)
    {
        ulong hash = (((ulong)key ^ _seed1) * _seed0) ^ ((ulong)(key >> 64) + family);
        hash = (hash ^ (hash >> 29)) * _seed0;
        return (int)(hash >> 40) & (Sets - 1);
    }

    /// <summary>
    /// The client's entry in the set, or a new one (full bucket) in place of an empty way or else the
    /// least recently touched way without upstream waits; -1 when every way has another client's
    /// queries waiting upstream (then the query is not tracked: the kinder choice).
    /// </summary>
    private int FindOrAdd(int set, UInt128 key, byte family, long now)
    {
        int start = set * Ways;
        int victim = -1;
        long best = long.MaxValue;
        for (int i = start; i < start + Ways; i++)
        {
            ref Entry entry = ref _entries[i];
            if (entry.Family == family && entry.Key == key)
            {
                return i;
            }

            long score = entry.Family == 0 ? long.MinValue : entry.Upstream == 0 ? entry.Touched : long.MaxValue;
            if (score < best)
            {
                best = score;
                victim = i;
            }
        }

        if (victim >= 0)
        {
            _entries[victim] = new Entry { Key = key, Family = family, Tokens = _capacity, Touched = now };
        }

        return victim;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Lock(int set)
    {
        if (Interlocked.CompareExchange(ref _locks[set], 1, 0) != 0)
        {
            Contended(set);
        }
    }

    private void Contended(int set)
    {
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _locks[set], 1, 0) != 0)
        {
            spin.SpinOnce();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Unlock(int set) => Volatile.Write(ref _locks[set], 0);

    /// <summary>Milliseconds on a monotonic clock: the coarse tick count with the system clock (a few ns), the provider's otherwise (tests).</summary>
    private long Now() => ReferenceEquals(_time, TimeProvider.System)
        ? Environment.TickCount64
        : (_time.GetTimestamp() - _origin) * 1000 / _time.TimestampFrequency;

    private struct Entry
    {
        public UInt128 Key;
        public long Tokens;
        public long Touched;
        public int Upstream;
        public byte Family;
    }
}

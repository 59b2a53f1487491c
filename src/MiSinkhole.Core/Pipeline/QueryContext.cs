using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Net;
using MiSinkhole.Dns;

namespace MiSinkhole.Core.Pipeline;

/// <summary>
/// Everything one query carries through the chain. Pooled and reused: the transport receives
/// straight into <see cref="RequestBuffer"/> and sends <see cref="Response"/>; stages cache what
/// they derive (the parsed query, the lowercased name, the client, the decision) here.
/// </summary>
public sealed class QueryContext
{
    /// <summary>Big enough for any UDP query we accept and any local answer.</summary>
    public const int DefaultBufferSize = 4096;

    private readonly byte[] _ownRequest = new byte[DefaultBufferSize];
    private readonly byte[] _ownResponse = new byte[DefaultBufferSize];
    private byte[] _request;
    private byte[] _response;
    private bool _responseRented;

    private readonly QueryCompletions _completions;
    private readonly Action _transportContinuation;
    private ValueTask _transportPending;
    private Action<QueryContext>? _transportDone;
    private DnsQuery _query;
    private PacketInfo _localAddress;
    private ClientPolicy _clientPolicy;

    public QueryContext()
    {
        RemoteAddress = new SocketAddress(AddressFamily.InterNetworkV6);
        _request = _ownRequest;
        _response = _ownResponse;
        _completions = new QueryCompletions(this);
        _transportContinuation = TransportContinuation;
    }

    /// <summary>The parsed query (by reference: stages read it in place, the decoder fills it).</summary>
    public ref DnsQuery Query => ref _query;

    /// <summary>Local address the query arrived on, for transports that must reply from it.</summary>
    public ref PacketInfo LocalAddress => ref _localAddress;

    public DnsTransport Transport { get; set; }

    /// <summary>
    /// When the transport received the query, as a <see cref="System.Diagnostics.Stopwatch"/>
    /// timestamp (the UDP batch loop reads the clock once per batch); 0 when it did not say, and
    /// the accounting stage reads the clock itself.
    /// </summary>
    public long ReceivedAt { get; set; }

    /// <summary>The raw client address as received (the transport reuses it to reply).</summary>
    public SocketAddress RemoteAddress { get; private set; }

    /// <summary>
    /// Who asked: the sender's address, or, for a query a trusted forwarder sent with the client's
    /// whole address in ECS, that address (set by the device stage; see <see cref="Forwarder"/>).
    /// </summary>
    public ClientAddress Client { get; set; }

    /// <summary>The trusted forwarding router the query came through, when the device stage took the client from its EDNS options.</summary>
    public ClientAddress? Forwarder { get; set; }

    /// <summary>The client ID the encrypted transport carried (DoT: the SNI's first label under <c>Dns:Tls:ServerName</c>); null when none.</summary>
    public string? ClientId { get; set; }

    /// <summary>The identity the device was resolved from (the device stage's): the client's address and, from a forwarder, its MAC.</summary>
    public ClientIdentity Identity { get; set; }

    public byte[] RequestBuffer => _request;

    public int RequestLength { get; set; }

    public ReadOnlySpan<byte> Request => _request.AsSpan(0, RequestLength);

    /// <summary>The question name, lowercased, in wire form (valid after decoding).</summary>
    public byte[] LowerName { get; } = new byte[DnsConstants.MaxNameLength + 1];

    public ReadOnlySpan<byte> QueryName => LowerName.AsSpan(0, Query.NameLength);

    public byte[] ResponseBuffer => _response;

    /// <summary>Length of the answer in <see cref="ResponseBuffer"/>; 0 means no reply is sent.</summary>
    public int ResponseLength { get; set; }

    public ReadOnlySpan<byte> Response => _response.AsSpan(0, ResponseLength);

    public Outcome Outcome { get; set; }

    public PolicyAction PolicyAction { get; set; }

    /// <summary>The list that decided <see cref="PolicyAction"/>, when one did.</summary>
    public string? MatchedList { get; set; }

    /// <summary>
    /// When the name is an unclassified Xiaomi name (under a zone list of <c>Discovery:Zones</c>,
    /// and no other list decides it): that zone list. Null otherwise. Set by the policy stage.
    /// </summary>
    public string? UnclassifiedList { get; set; }

    /// <summary>The config snapshot (rules, policies, devices) the whole query is decided with, CNAME checks too.</summary>
    public MiSinkhole.Core.Configuration.ConfigSnapshot? Config { get; set; }

    /// <summary>Who asked and what applies to them now (set by the device stage from <see cref="Clients.ClientPolicyResolver"/>).</summary>
    public ref ClientPolicy ClientPolicy => ref _clientPolicy;

    /// <summary>The configured device name, or "unknown".</summary>
    public string Device => _clientPolicy.DeviceName;

    /// <summary>Why the <c>RateLimit</c> section turned the query away (with <see cref="Outcome.Limited"/>).</summary>
    public MiSinkhole.Core.Stages.RateLimit.LimitReason Limit { get; set; }

    /// <summary>The upstream or cached answer the response was written from, if any.</summary>
    public DnsAnswer? Answer { get; set; }

    /// <summary>The upstream exchange the forward stage waits on (for its completion to read).</summary>
    internal Task<DnsAnswer?>? UpstreamExchange { get; set; }

    /// <summary>
    /// For a stage whose inner part (<paramref name="pending"/>, what <c>next</c> returned) did not
    /// complete at once: <paramref name="completion"/> runs when it has, with
    /// <paramref name="state"/>; return what this returns. The first stage to defer (the innermost)
    /// names what they all wait on; the outer ones queue behind it on the same task, which the
    /// transport then awaits (only that starts the wait), so a forwarded query allocates no
    /// state machine per stage. Every stage that waits on <c>next</c> must wait this way: an
    /// <c>async</c> stage awaiting the task would start the wait before the outer stages queued.
    /// </summary>
    public ValueTask Defer(ValueTask pending, IQueryCompletion completion, long state = 0) => _completions.Defer(pending, completion, state);

    /// <summary>
    /// For a transport whose chain went asynchronous: calls <paramref name="done"/> with this
    /// context once <paramref name="pending"/> (what the pipeline returned) has completed, on the
    /// thread that completed it; <paramref name="done"/> then calls <see cref="EndPending"/>. With
    /// a cached delegate this allocates nothing (an <c>async</c> method awaiting it allocated its
    /// state machine per forwarded query).
    /// </summary>
    public void WhenDone(ValueTask pending, Action<QueryContext> done)
    {
        _transportPending = pending;
        _transportDone = done;
        pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_transportContinuation);
    }

    /// <summary>Ends what <see cref="WhenDone"/> waited on: throws the chain's exception, if it ended with one.</summary>
    public void EndPending()
    {
        ValueTask pending = _transportPending;
        _transportPending = default;
        pending.GetAwaiter().GetResult();
    }

    /// <summary>Makes room for an answer of <paramref name="size"/> bytes (large TCP answers).</summary>
    public void EnsureResponseCapacity(int size)
    {
        if (size <= _response.Length)
        {
            return;
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(size);
        ReturnRentedResponse();
        _response = larger;
        _responseRented = true;
    }

    /// <summary>Makes room for a request of <paramref name="size"/> bytes (TCP frames).</summary>
    public void EnsureRequestCapacity(int size)
    {
        if (size > _request.Length)
        {
            _request = new byte[Math.Max(size, _request.Length * 2)];
        }
    }

    /// <summary>Clears per-query state so the context can serve the next query.</summary>
    public void Reset()
    {
        _query = default;
        RequestLength = 0;
        ReceivedAt = 0;
        ResponseLength = 0;
        Outcome = Outcome.None;
        PolicyAction = PolicyAction.None;
        MatchedList = null;
        UnclassifiedList = null;
        Config = null;
        _clientPolicy = default;
        Forwarder = null;
        ClientId = null;
        Identity = default;
        Answer = null;
        UpstreamExchange = null;
        _completions.Reset();
        Limit = default;
        _localAddress = default;
        ReturnRentedResponse();
        _response = _ownResponse;
        _request = _ownRequest;
    }

    private void TransportContinuation()
    {
        Action<QueryContext> done = _transportDone!;
        _transportDone = null;
        done(this);
    }

    private void ReturnRentedResponse()
    {
        if (_responseRented)
        {
            ArrayPool<byte>.Shared.Return(_response);
            _responseRented = false;
        }
    }
}

namespace MiSinkhole.Core.Stages.Forward.Http2;

/// <summary>What a DoH client needs from a response's header block.</summary>
internal struct Http2ResponseHead
{
    /// <summary>The <c>:status</c>; 0 when there was none (trailers).</summary>
    public int Status;

    /// <summary>The content type is <c>application/dns-message</c>.</summary>
    public bool IsDnsMessage;

    /// <summary>The <c>content-length</c>; -1 when absent or not a number.</summary>
    public long ContentLength;
}

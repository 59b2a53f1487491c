namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// The server said it did not process the query (HTTP/2 REFUSED_STREAM, or a stream above a
/// GOAWAY's last ID): it can be asked again elsewhere, also when its connection was fresh.
/// </summary>
internal sealed class UnprocessedQueryException : IOException
{
    public UnprocessedQueryException(string message)
        : base(message)
    {
    }
}

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>A query's pooled DoT or DoH connection stayed silent for half its time: half-open, or its server stopped reading.</summary>
internal sealed class SilentConnectionException : IOException
{
    public SilentConnectionException()
        : base("no answer and nothing else arrived on the pooled connection")
    {
    }
}

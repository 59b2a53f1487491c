namespace MiSinkhole.Dns;

/// <summary>The four sections of a DNS message, in wire order (index into the header counts).</summary>
public enum DnsSection
{
    Question = 0,
    Answer = 1,
    Authority = 2,
    Additional = 3,
}

using ARSoft.Tools.Net.Dns;

namespace MiSinkhole.Tests;

/// <summary>Decodes answers with ARSoft.Tools.Net, independently of the daemon's codec.</summary>
internal static class Wire
{
    public static DnsMessage Parse(byte[]? answer)
    {
        Assert.IsNotNull(answer, "no answer arrived");
        return DnsMessage.Parse(new ArraySegment<byte>(answer));
    }
}

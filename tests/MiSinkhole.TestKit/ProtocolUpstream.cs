namespace MiSinkhole.TestKit;

/// <summary>
/// The fake upstream's answers for the protocol tests (and the amplification probe, which replays
/// their queries): names starting <c>big</c> get about 1,700 bytes of TXT (more than 512 and
/// 1232), <c>mid</c> about 600 (over 512, under 1232), everything else one A record; with our
/// OPT (4096) when the query had one.
/// </summary>
public static class ProtocolUpstream
{
    public static FakeReply Answer(FakeQuery q)
    {
        RawMessage response = RawMessage.ResponseTo(q.Raw);
        if (q.Name.StartsWith("big", StringComparison.Ordinal))
        {
            for (int i = 0; i < 40; i++)
            {
                response.Txt(null, 300, $"record-{i:D2}-padding-padding-pad");
            }
        }
        else if (q.Name.StartsWith("mid", StringComparison.Ordinal))
        {
            for (int i = 0; i < 14; i++)
            {
                response.Txt(null, 300, $"record-{i:D2}-padding-padding-pad");
            }
        }
        else
        {
            response.A(null, 300, "192.0.2.1");
        }

        if (q.HasEdns)
        {
            response.Opt(4096, q.DnssecOk);
        }

        return response.ToArray();
    }
}

using System.Net;
using MiSinkhole.Core.Clients;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Net;
using MiSinkhole.Core.Pipeline;
using MiSinkhole.Core.Policies;
using MiSinkhole.Dns;
using MiSinkhole.TestKit;

namespace MiSinkhole.Core.Tests.Stages;

/// <summary>One stage on its own: a context made from a raw query, and a <c>next</c> that counts its calls and may answer.</summary>
internal sealed class StageHarness
{
    public QueryContext Context { get; } = new();

    public int NextCalls { get; private set; }

    /// <summary>What the rest of the chain does when called; default: nothing.</summary>
    public Action<QueryContext>? Downstream { get; set; }

    public QueryDelegate Next => context =>
    {
        NextCalls++;
        Downstream?.Invoke(context);
        return default;
    };

    /// <summary>Rcode of the answer written (low 4 bits of the header's fourth byte).</summary>
    public int ResponseCode => Context.ResponseBuffer[3] & 0x0F;

    public bool Truncated => (Context.ResponseBuffer[2] & 0x02) != 0;

    /// <summary>Loads <paramref name="query"/> from <paramref name="client"/>; decoded unless asked not to.</summary>
    public StageHarness Query(byte[] query, string client = "192.168.1.10", DnsTransport transport = DnsTransport.Udp, bool decode = true)
    {
        Context.Reset();
        query.CopyTo(Context.RequestBuffer, 0);
        Context.RequestLength = query.Length;
        Context.Transport = transport;
        Context.Client = ClientAddress.FromIPAddress(IPAddress.Parse(client), 40000);
        if (decode)
        {
            DnsQueryParser.Parse(Context.Request, Context.LowerName, out Context.Query);
        }

        return this;
    }

    public StageHarness Query(string name, ushort type = DnsRecordType.A, string client = "192.168.1.10") =>
        Query(RawMessage.Query(name, type, edns: true), client);

    /// <summary>What the device stage would have set: the snapshot and the client's policy.</summary>
    public StageHarness Resolved(ConfigSnapshot rules, string policy, bool paused = false)
    {
        Context.Config = rules;
        CompiledPolicy compiled = rules.Policies[policy];
        Context.ClientPolicy = new ClientPolicy(null, compiled, PolicySource.Default, compiled, paused ? DateTimeOffset.UtcNow.AddHours(1).UtcTicks : 0);
        return this;
    }

    /// <summary>Answers the question from an upstream-style response (for stages that look at answers).</summary>
    public static DnsAnswer Answer(string name, Func<RawMessage, RawMessage> records, ushort type = DnsRecordType.A)
    {
        byte[] response = records(RawMessage.ResponseTo(RawMessage.Query(name, type))).ToArray();
        return DnsAnswer.TryParse(response, DnsName.FromText(name), type, 1) ?? throw new InvalidOperationException("not an answer");
    }

    /// <summary>Writes <paramref name="answer"/> as the forwarder does.</summary>
    public static void Forwarded(QueryContext context, DnsAnswer answer)
    {
        context.EnsureResponseCapacity(answer.Message.Length + 16);
        context.ResponseLength = answer.WriteTo(context.ResponseBuffer, context.Request, context.Query, 0, 0, uint.MaxValue);
        context.Answer = answer;
        context.Outcome = Outcome.Forwarded;
    }
}

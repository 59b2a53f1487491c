using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Verifies the certificates of DoT and DoH upstreams: always name and chain. A chain the system
/// store does not trust is accepted when it leads to one of the extra anchors of
/// <c>Upstreams:CaFile</c> (and is otherwise valid: in date, for server authentication); a name
/// mismatch or a missing certificate never is. Revocation is not checked (no fetch on the DNS path).
/// </summary>
public sealed partial class UpstreamCertificates
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private readonly X509Certificate2Collection _anchors;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, long> _lastRefusal = new(StringComparer.Ordinal);

    public UpstreamCertificates(string? caFile, ILogger? logger = null)
    {
        _anchors = caFile is null ? [] : Load(caFile);
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How many extra anchors the CA file gave.</summary>
    public int ExtraAnchors => _anchors.Count;

    /// <summary>The certificates of a PEM file; throws when it cannot be read or holds none.</summary>
    public static X509Certificate2Collection Load(string caFile)
    {
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(caFile);
        return anchors.Count > 0 ? anchors : throw new CryptographicException($"{caFile} holds no PEM certificate");
    }

    /// <summary>
    /// The check of a <see cref="RemoteCertificateValidationCallback"/> for <paramref name="server"/>:
    /// what SslStream found, and the extra anchors. A refusal is logged as a warning (at most once a
    /// minute per upstream) with what was wrong: the name, or the chain's status.
    /// </summary>
    public bool Validate(UpstreamServer server, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        string? problem = certificate is null ? "no certificate"
            : (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 ? $"it is not for {server.TlsName}"
            : null;
        if (problem is null && _anchors.Count > 0)
        {
            problem = CheckExtraAnchors(certificate!, chain);
            if (problem is null)
            {
                return true;
            }
        }

        problem ??= Status(chain);
        long now = Environment.TickCount64;
        bool log = _lastRefusal.TryGetValue(server.Label, out long last)
            ? now - last >= 60_000 && _lastRefusal.TryUpdate(server.Label, now, last)
            : _lastRefusal.TryAdd(server.Label, now);
        if (log)
        {
            LogRefused(server, problem, _anchors.Count > 0 ? "the system store and Upstreams:CaFile" : "the system store (Upstreams:CaFile adds anchors)");
        }

        return false;
    }

    /// <summary>Null when the chain leads to one of the CA file's anchors (in date, for server authentication), else what is wrong.</summary>
    private string? CheckExtraAnchors(X509Certificate certificate, X509Chain? chain)
    {
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        if (chain is not null)
        {
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
            foreach (X509ChainElement element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf) ? null : Status(custom);
    }

    private static string Status(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0 ? "its chain is not trusted"
            : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());

    [LoggerMessage(EventId = LogEventIds.UpstreamTransport + 3, Level = LogLevel.Warning, Message = "Upstream {Server}: certificate refused ({Problem}; trusted: {Trusted}); its queries fail")]
    private partial void LogRefused(UpstreamServer server, string problem, string trusted);
}

using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MiSinkhole.Core.Stages.Forward;

/// <summary>
/// Verifies the certificates of DoT and DoH upstreams: always name and chain. A chain the system
/// store does not trust is accepted when it leads to one of the extra anchors of
/// <c>Upstreams:CaFile</c> (and is otherwise valid: in date, for server authentication); a name
/// mismatch or a missing certificate never is. Revocation is not checked (no fetch on the DNS path).
/// </summary>
public sealed class UpstreamCertificates
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private readonly X509Certificate2Collection _anchors;

    public UpstreamCertificates(string? caFile)
    {
        _anchors = caFile is null ? [] : Load(caFile);
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

    /// <summary>The check of a <see cref="RemoteCertificateValidationCallback"/>: what SslStream found, and the extra anchors.</summary>
    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || _anchors.Count == 0 || certificate is null)
        {
            return false;
        }

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
        return custom.Build(leaf);
    }
}

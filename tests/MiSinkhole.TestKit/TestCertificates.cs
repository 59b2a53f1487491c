using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MiSinkhole.TestKit;

/// <summary>
/// A throw-away CA and server certificates it signs (ECDSA P-256), for TLS servers on loopback:
/// written as PEM files into a folder (<c>ca.pem</c>; <c>NAME.pem</c> with
/// <c>NAME.key</c> per server certificate). Nothing here is trusted by the system store.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _directory;

    public TestCertificates(string directory, string caName = "MiSinkhole test CA")
    {
        _directory = directory;
        var request = new CertificateRequest($"CN={caName}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddYears(1));
        CaFile = Path.Combine(directory, $"{Sanitize(caName)}.pem");
        File.WriteAllText(CaFile, Ca.ExportCertificatePem() + "\n");
    }

    public X509Certificate2 Ca { get; }

    /// <summary>The CA certificate as PEM (for <c>Upstreams:CaFile</c>).</summary>
    public string CaFile { get; }

    /// <summary>
    /// A server certificate for <paramref name="names"/> (DNS names) and <paramref name="addresses"/>
    /// (IP SANs), signed by the CA; <paramref name="expired"/> makes one whose validity ended yesterday.
    /// Returns the PEM files and the certificate with its key (for an in-process TLS server).
    /// </summary>
    public ServerCertificate Issue(string fileName, string[] names, IPAddress[] addresses, bool expired = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={(names.Length > 0 ? names[0] : addresses[0].ToString())}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in names)
        {
            san.AddDnsName(name);
        }

        foreach (IPAddress address in addresses)
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        DateTimeOffset notBefore = expired ? DateTimeOffset.UtcNow.AddDays(-30) : DateTimeOffset.UtcNow.AddDays(-1);
        DateTimeOffset notAfter = expired ? DateTimeOffset.UtcNow.AddDays(-1) : DateTimeOffset.UtcNow.AddDays(30);
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using X509Certificate2 signed = request.Create(Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), notBefore, notAfter, serial);
        string certificateFile = Path.Combine(_directory, fileName + ".pem");
        string keyFile = Path.Combine(_directory, fileName + ".key");
        string certificatePem = signed.ExportCertificatePem();
        string keyPem = key.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(certificateFile, certificatePem + "\n");
        File.WriteAllText(keyFile, keyPem + "\n");
        return new ServerCertificate(certificateFile, keyFile, X509Certificate2.CreateFromPem(certificatePem, keyPem));
    }

    public void Dispose()
    {
        Ca.Dispose();
        _caKey.Dispose();
    }

    private static string Sanitize(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
}

using System.Security.Cryptography.X509Certificates;

namespace MiSinkhole.TestKit;

/// <summary>A server certificate made by <see cref="TestCertificates"/>: its PEM files and the certificate with its private key.</summary>
public sealed record ServerCertificate(string CertificateFile, string KeyFile, X509Certificate2 Certificate);

using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MiSinkhole.Core;
using MiSinkhole.Core.Configuration;
using MiSinkhole.Core.Logging;

namespace MiSinkhole.Transport;

/// <summary>
/// The DoT listener's certificate: from <c>Dns:Tls:CertificateFile</c> and <c>KeyFile</c> (PEM;
/// the chain after the first certificate goes out with it), re-read when either file changes (a
/// renewal needs no restart; a pair that does not load, such as a certificate whose new key is
/// not written yet, keeps the one in use and is tried again when a file changes again). Without
/// files, a self-signed certificate (ECDSA P-256, for the server name and its subdomains) is made
/// at the first start and kept in <c>DataDirectory</c> (<c>dot-cert.pem</c>, <c>dot-key.pem</c>
/// mode 0600), so a client that pinned it still sees it after a restart.
/// </summary>
public sealed partial class TlsCertificateSource
{
    private const long CheckEveryMilliseconds = 1000;

    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly ILogger _logger;
    private readonly Lock _reload = new();
    private SslStreamCertificateContext _current;
    private (DateTime Certificate, DateTime Key) _seen;
    private long _nextCheck;

    public TlsCertificateSource(DnsTlsOptions options, string dataDirectory, ILogger logger)
    {
        _logger = logger;
        if (options.CertificateFile is { } certificate && options.KeyFile is { } key)
        {
            _certificateFile = certificate;
            _keyFile = key;
            IsSelfSigned = false;
        }
        else
        {
            _certificateFile = Path.Combine(dataDirectory, "dot-cert.pem");
            _keyFile = Path.Combine(dataDirectory, "dot-key.pem");
            IsSelfSigned = true;
            if (!File.Exists(_certificateFile) || !File.Exists(_keyFile))
            {
                Directory.CreateDirectory(dataDirectory);
                File.Delete(_certificateFile); // half a pair (a crash between the two writes): a new pair
                File.Delete(_keyFile);
                MakeSelfSigned(options.ServerName);
            }
        }

        _seen = WrittenAt();
        _current = Load(); // at start a pair that does not load is an error: the daemon says which files
        _nextCheck = Environment.TickCount64 + CheckEveryMilliseconds;
    }

    /// <summary>Whether it is the daemon's own certificate (no files configured).</summary>
    public bool IsSelfSigned { get; }

    public string CertificateFile => _certificateFile;

    /// <summary>The certificate to present now: re-read first when a file has changed (looked at once a second at most).</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            if (Environment.TickCount64 >= Volatile.Read(ref _nextCheck))
            {
                ReloadIfChanged();
            }

            return Volatile.Read(ref _current);
        }
    }

    /// <summary>Re-reads the files when their times changed; true when a new certificate is in use.</summary>
    public bool ReloadIfChanged()
    {
        lock (_reload)
        {
            Volatile.Write(ref _nextCheck, Environment.TickCount64 + CheckEveryMilliseconds);
            (DateTime, DateTime) written;
            try
            {
                written = WrittenAt();
            }
            catch (IOException)
            {
                return false;
            }

            if (written == _seen)
            {
                return false;
            }

            _seen = written;
            try
            {
                SslStreamCertificateContext loaded = Load();
                Volatile.Write(ref _current, loaded);
                LogReloaded(_certificateFile, loaded.TargetCertificate.Subject, loaded.TargetCertificate.NotAfter);
                return true;
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                LogReloadFailed(e, _certificateFile, _keyFile);
                return false;
            }
        }
    }

    private (DateTime Certificate, DateTime Key) WrittenAt() => (File.GetLastWriteTimeUtc(_certificateFile), File.GetLastWriteTimeUtc(_keyFile));

    private SslStreamCertificateContext Load()
    {
        X509Certificate2 leaf = X509Certificate2.CreateFromPemFile(_certificateFile, _keyFile);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(_certificateFile);
        X509Certificate2[] intermediates = [.. chain.Skip(1)];
        return SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(intermediates), offline: true);
    }

    private void MakeSelfSigned(string? serverName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string name = serverName ?? "misinkhole";
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        if (serverName is not null)
        {
            names.AddDnsName("*." + serverName); // the client IDs' names
        }

        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        // The key first: a certificate on disk without its key would not load at the next start.
        SecretFile.TryCreate(_keyFile, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(_certificateFile, certificate.ExportCertificatePem() + "\n");
        LogMadeSelfSigned(_certificateFile, name);
    }

    [LoggerMessage(EventId = LogEventIds.Tls + 1, Level = LogLevel.Information, Message = "DoT certificate reloaded from {File}: {Subject}, valid until {NotAfter:u}")]
    private partial void LogReloaded(string file, string subject, DateTime notAfter);

    [LoggerMessage(EventId = LogEventIds.Tls + 2, Level = LogLevel.Warning, Message = "DoT certificate {File} with key {KeyFile} changed but does not load; still serving the previous one")]
    private partial void LogReloadFailed(Exception exception, string file, string keyFile);

    [LoggerMessage(EventId = LogEventIds.Tls + 3, Level = LogLevel.Information, Message = "DoT: made a self-signed certificate for {Name} in {File} (set Dns:Tls:CertificateFile and KeyFile for one clients can verify)")]
    private partial void LogMadeSelfSigned(string file, string name);
}

using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Rotator.LocalVault;

/// <summary>The vault's TLS certificate (with key) and its main access token, kept across restarts when there is a data folder.</summary>
internal sealed class VaultIdentity : IDisposable
{
    public const string TokenFile = "token";
    public const string CertificatePemFile = "cert.pem";
    public const string CertificatePfxFile = "cert.pfx";

    private VaultIdentity(X509Certificate2 certificate, string token)
    {
        Certificate = certificate;
        Token = token;
    }

    /// <summary>Has the private key; Kestrel uses it.</summary>
    public X509Certificate2 Certificate { get; }

    public string Token { get; }

    public static VaultIdentity LoadOrCreate(string? directory, TimeProvider time)
    {
        if (directory is null)
        {
            return new VaultIdentity(CreateCertificate(time), CreateToken());
        }

        var tokenPath = Path.Combine(directory, TokenFile);
        string token;
        if (File.Exists(tokenPath))
        {
            token = File.ReadAllText(tokenPath).Trim();
        }
        else
        {
            token = CreateToken();
            SecureFiles.WriteAtomically(tokenPath, Encoding.UTF8.GetBytes(token));
        }

        var pfxPath = Path.Combine(directory, CertificatePfxFile);
        var pemPath = Path.Combine(directory, CertificatePemFile);
        X509Certificate2? certificate = null;
        if (File.Exists(pfxPath))
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(pfxPath, password: null);
            if (certificate.NotAfter.ToUniversalTime() <= time.GetUtcNow().UtcDateTime.AddDays(1))
            {
                // An expired (or nearly expired) certificate would lock every client out; a new one needs clients to re-read cert.pem.
                certificate.Dispose();
                certificate = null;
            }
        }

        if (certificate is null)
        {
            certificate = CreateCertificate(time);
            SecureFiles.WriteAtomically(pfxPath, certificate.Export(X509ContentType.Pkcs12));
            SecureFiles.WriteAtomically(pemPath, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
        }
        else if (!File.Exists(pemPath))
        {
            SecureFiles.WriteAtomically(pemPath, Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()));
        }

        SecureFiles.RestrictToOwner(tokenPath);
        SecureFiles.RestrictToOwner(pfxPath);
        SecureFiles.RestrictToOwner(pemPath);
        return new VaultIdentity(certificate, token);
    }

    /// <summary>32 random bytes, base64url: unguessable and safe in a header.</summary>
    public static string CreateToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static X509Certificate2 CreateCertificate(TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        // A day of slack before now tolerates small clock differences between processes.
        var now = time.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(365));

        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }

    public void Dispose() => Certificate.Dispose();
}

using System.Security.Cryptography;
using System.Text;

namespace Rotator.Client;

/// <summary>
/// The fingerprint of a key: lowercase hex of the first 8 bytes of SHA-256 over its UTF-8 bytes.
/// Safe to log and show; never the key.
/// </summary>
public static class Fingerprint
{
    public static string Of(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(Sha256(key).AsSpan(0, 8));
    }

    /// <summary>Full SHA-256 of the key's UTF-8 bytes, lowercase hex: what <c>-accepted</c> stores.</summary>
    public static string Sha256Hex(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(Sha256(key));
    }

    private static byte[] Sha256(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

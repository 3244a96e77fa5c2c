using System.Text.RegularExpressions;

namespace Rotator.Configuration;

/// <summary>Names of the vault secrets that derive from a managed secret, and Key Vault's naming rule.</summary>
internal static partial class SecretNames
{
    /// <summary>Key Vault's limit (127) less the longest suffix Rotator adds (<c>-accepted</c>, 9 characters).</summary>
    public const int MaxManagedLength = 118;

    public const string ControlSuffix = "-rotator";

    public const string AcceptedSuffix = "-accepted";

    /// <summary>The control secret: the write-ahead record of the key's rotation, read by Rotator only.</summary>
    public static string Control(string secret) => secret + ControlSuffix;

    /// <summary>The hashes verifiers accept, for generated keys.</summary>
    public static string Accepted(string secret) => secret + AcceptedSuffix;

    /// <summary>Whether <paramref name="name"/> is a valid Key Vault secret name: 1 to 127 letters, digits and '-'.</summary>
    public static bool IsValid(string? name) => name is not null && ValidName().IsMatch(name);

    // Key Vault's rule ^[0-9a-zA-Z-]{1,127}$, anchored with \z so that a trailing newline does not pass.
    [GeneratedRegex(@"^[0-9a-zA-Z-]{1,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();
}

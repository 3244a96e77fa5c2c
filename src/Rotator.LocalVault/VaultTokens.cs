using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace Rotator.LocalVault;

/// <summary>Access tokens and what each may do. The main token may do everything.</summary>
internal sealed class VaultTokens
{
    private static readonly FrozenSet<LocalVaultPermission> All = Enum.GetValues<LocalVaultPermission>().ToFrozenSet();

    private readonly ConcurrentDictionary<string, Grant> _grants = new(StringComparer.Ordinal);

    public VaultTokens(string mainToken)
    {
        _grants[string.Empty] = new Grant(string.Empty, Encoding.UTF8.GetBytes(mainToken), All);
    }

    public string Add(string name, IEnumerable<LocalVaultPermission> permissions)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var token = VaultIdentity.CreateToken();
        _grants[name] = new Grant(name, Encoding.UTF8.GetBytes(token), permissions.ToFrozenSet());
        return token;
    }

    /// <summary>The grant whose token the header carries, or null. Compares in constant time against every token.</summary>
    public Grant? Authenticate(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var presented = Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim());
        Grant? match = null;
        foreach (var grant in _grants.Values)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, grant.Token))
            {
                match = grant;
            }
        }

        return match;
    }

    internal sealed record Grant(string Name, byte[] Token, FrozenSet<LocalVaultPermission> Permissions);
}

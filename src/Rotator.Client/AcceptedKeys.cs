using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotator.Client;

/// <summary>One accepted key in <c>&lt;secret&gt;-accepted</c>: hashes only, so a verifier holds nothing worth stealing.</summary>
public sealed record AcceptedKey(
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("fingerprint")] string Fingerprint,
    [property: JsonPropertyName("rotation")] string Rotation);

/// <summary>The document verifiers read: <c>{"v":1,"accept":[…]}</c>.</summary>
public sealed record AcceptedKeys(
    [property: JsonPropertyName("v")] int V,
    [property: JsonPropertyName("accept")] IReadOnlyList<AcceptedKey> Accept)
{
    public static AcceptedKeys Empty { get; } = new(1, []);

    public static AcceptedKeys Parse(string json) =>
        JsonSerializer.Deserialize<AcceptedKeys>(json) is { Accept: not null } doc
            ? doc
            : throw new FormatException("The accepted-keys document is not {\"v\":1,\"accept\":[…]}.");

    public string ToJson() => JsonSerializer.Serialize(this);

    public AcceptedKeys With(AcceptedKey key) =>
        Accept.Any(a => a.Sha256 == key.Sha256) ? this : this with { Accept = [.. Accept, key] };

    public AcceptedKeys Without(string fingerprint) =>
        this with { Accept = [.. Accept.Where(a => a.Fingerprint != fingerprint)] };

    public bool ContainsFingerprint(string fingerprint) => Accept.Any(a => a.Fingerprint == fingerprint);

    /// <summary>Does a presented key match an accepted hash? Compared in constant time.</summary>
    public bool Accepts(string presentedKey)
    {
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey));
        var match = false;
        foreach (var accepted in Accept)
        {
            // Every entry is compared, whatever matched before, so timing reveals nothing.
            match |= CryptographicOperations.FixedTimeEquals(presented, Convert.FromHexString(accepted.Sha256));
        }

        return match;
    }

    public static AcceptedKey Entry(string key, string rotation) =>
        new(Fingerprint.Sha256Hex(key), Fingerprint.Of(key), rotation);
}

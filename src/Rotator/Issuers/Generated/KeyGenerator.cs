using System.Security.Cryptography;
using Rotator.Configuration;

namespace Rotator.Issuers.Generated;

/// <summary>Keys Rotator generates for an API of the user's own: a CSPRNG draw over the configured alphabet.</summary>
public static class KeyGenerator
{
    public static string Generate(IssuerOptions options)
    {
        // GetString draws each character uniformly (rejection sampling), so no character is more likely than another.
        return options.Prefix + RandomNumberGenerator.GetString(options.Alphabet.Distinct().ToArray(), options.Length);
    }

    /// <summary>Entropy of the random part in bits: what the validator holds to at least 256.</summary>
    public static double Bits(string alphabet, int length) => length * Math.Log2(Math.Max(1, alphabet.Distinct().Count()));
}

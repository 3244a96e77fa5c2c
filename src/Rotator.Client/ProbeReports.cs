using System.Text.Json.Serialization;

namespace Rotator.Client;

/// <summary>What a consumer's probe endpoint answers: the fingerprint of the key it last sent and of the key it holds.</summary>
public sealed record ConsumerReport(
    [property: JsonPropertyName("fingerprint")] string? Fingerprint,
    [property: JsonPropertyName("loadedFingerprint")] string? LoadedFingerprint,
    [property: JsonPropertyName("version")] string? Version);

/// <summary>What a verifier's probe endpoint answers: the fingerprints of the keys it accepts.</summary>
public sealed record VerifierReport([property: JsonPropertyName("accepts")] IReadOnlyList<string> Accepts);

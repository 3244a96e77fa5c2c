namespace Rotator.Consumers;

/// <summary>What one address of a consumer (or verifier) reported in one poll.</summary>
/// <param name="Target">The configured probe, as written (host name or URL).</param>
/// <param name="Address">The address asked; empty when the name resolved to too few addresses.</param>
/// <param name="Fingerprints">For a consumer, the fingerprint it last sent; for a verifier, those it accepts. Empty when it did not answer.</param>
/// <param name="Error">Why the address counts as not switched, or null.</param>
public sealed record ProbeObservation(string Target, string Address, IReadOnlyList<string> Fingerprints, string? Error)
{
    public bool Answered => Error is null;
}

public enum ProbeRole
{
    /// <summary>Reports the fingerprint of the key it last sent.</summary>
    Consumer,

    /// <summary>Reports the fingerprints it accepts.</summary>
    Verifier,
}

/// <summary>Asks every address of every configured probe once. Never throws for a probe that does not answer: that is an observation.</summary>
public interface IConsumerProbe
{
    Task<IReadOnlyList<ProbeObservation>> PollAsync(IReadOnlyList<Configuration.ProbeOptions> probes, ProbeRole role, CancellationToken cancellationToken);
}

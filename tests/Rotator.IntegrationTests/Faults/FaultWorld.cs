using Rotator.IntegrationTests.Rotation;

namespace Rotator.IntegrationTests.Faults;

/// <summary>How the fault tests set up their worlds.</summary>
internal static class FaultWorld
{
    /// <summary>The share of calls a fault hits.</summary>
    public const double Probability = 0.2;

    /// <summary>
    /// The share of vendor creates and revokes a fault hits. A rotation makes one of each, so at 20% five rotations
    /// would see one or two faults, often none of a kind; half of them gives every test several.
    /// </summary>
    public const double IssuerProbability = 0.5;

    /// <summary>
    /// Failed attempts of one step before NeedsAttention. A step's count resets only when the phase changes, and the
    /// waits for verifiers (Minted, Revoking for generated keys) run one vault read per poll, so at 20% a step sees a
    /// handful of failures and, rarely, a dozen; 25 keeps a false NeedsAttention far below one in a million runs.
    /// </summary>
    public const int MaxAttempts = 25;

    /// <summary>Per request: the vault's, the issuer's and the probes'. A fault that hangs outlasts it.</summary>
    public static readonly TimeSpan VaultTimeout = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan IssuerTimeout = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>The bound of every wait: generous, as the brief of these tests asks, and never a sleep.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static WorldOptions Options(bool generated, Action<Dictionary<string, string?>>? configure = null, Func<int, Demo.ProbeFaults?>? probeFaults = null) => new()
    {
        Generated = generated,
        ProbeFaults = probeFaults,
        Configure = c =>
        {
            c["Rotator:Vault:NetworkTimeout"] = Format(VaultTimeout);
            c["Rotator:Retry:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
            c["Rotator:Retry:BaseDelay"] = "00:00:00.050";
            c["Rotator:Retry:MaxDelay"] = "00:00:00.500";

            // A stall is not what these tests look for: a rollout under faults gets all the time the test has.
            c["Rotator:Keys:0:Rollout:Timeout"] = Format(Limit);
            c["Rotator:Keys:0:Rollout:StableFor"] = "00:00:00.200";
            for (var i = 0; c.ContainsKey($"Rotator:Keys:0:Consumers:{i}:Url"); i++)
            {
                c[$"Rotator:Keys:0:Consumers:{i}:Timeout"] = Format(ProbeTimeout);
            }

            if (generated)
            {
                c["Rotator:Keys:0:Verifiers:0:Timeout"] = Format(ProbeTimeout);
            }
            else
            {
                c["Rotator:Keys:0:Issuer:Http:Timeout"] = Format(IssuerTimeout);
            }

            configure?.Invoke(c);
        },
    };

    public static string Format(TimeSpan span) => span.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
}

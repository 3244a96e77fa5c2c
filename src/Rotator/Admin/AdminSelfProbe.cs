using Microsoft.Extensions.Options;
using Rotator.Client;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Vault;

namespace Rotator.Admin;

/// <summary>
/// Answers the admin keys' probes in-process and passes every other probe on. The verifier probe reports what this
/// worker's cache accepts, so the verifier gate opens only once the worker itself accepts the new key; the callers'
/// probe reports the managed secret's latest version, because people and the CLI read the vault each time they call.
/// </summary>
internal sealed class AdminSelfProbe(IConsumerProbe inner, AdminKeyCache cache, IVault vault, IOptionsMonitor<RotatorOptions> options) : IConsumerProbe
{
    public const string Address = "in-process";

    public async Task<IReadOnlyList<ProbeObservation>> PollAsync(IReadOnlyList<ProbeOptions> probes, ProbeRole role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probes);
        var others = probes.Where(p => AdminKeys.ParseSelf(p) is null).ToList();
        var observations = new List<ProbeObservation>();
        if (others.Count > 0)
        {
            observations.AddRange(await inner.PollAsync(others, role, cancellationToken));
        }

        foreach (var probe in probes)
        {
            if (AdminKeys.ParseSelf(probe) is { } self)
            {
                observations.Add(await ObserveAsync(probe.Url!.OriginalString, self.AdminName, self.What, cancellationToken));
            }
        }

        return observations;
    }

    private async Task<ProbeObservation> ObserveAsync(string target, string adminName, string what, CancellationToken cancellationToken)
    {
        var admin = options.CurrentValue.Admin.Keys.FirstOrDefault(k => k.Name == adminName);
        if (admin is null)
        {
            return new ProbeObservation(target, Address, [], $"no admin key '{adminName}' is configured");
        }

        if (what == AdminKeys.VerifierPath)
        {
            return cache.Knows(adminName)
                ? new ProbeObservation(target, Address, cache.AcceptedFingerprints(adminName), null)
                : new ProbeObservation(target, Address, [], "this worker has not read the accepted keys yet");
        }

        try
        {
            var latest = await vault.GetAsync(admin.Secret, null, cancellationToken);
            if (latest?.Value is not { } value)
            {
                return new ProbeObservation(target, Address, [], $"'{admin.Secret}' has no version");
            }

            return new ProbeObservation(target, Address, [Fingerprint.Of(value)], null);
        }
        catch (VaultException e)
        {
            return new ProbeObservation(target, Address, [], $"the vault did not answer ({e.Failure})");
        }
    }
}

using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Issuers;
using Rotator.Vault;

namespace Rotator.Cli.Validation;

/// <summary>Asks each vendor for its key listing and each consumer and verifier probe for its report, as the worker would; changes nothing.</summary>
internal sealed class ReachabilityCheck(IIssuerFactory issuers, IConsumerProbe probe)
{
    // The probe's words for a consumer that answers the contract but has sent no key yet (before the first rotation):
    // reachable and well-formed, which is what validate asks.
    private const string NotSentYet = "has not sent a key yet";

    /// <summary>A List request per Http issuer whose credential could be read (a missing one is already a problem).</summary>
    public async Task CheckVendorsAsync(IReadOnlyList<ManagedKeyOptions> keys, IReadOnlySet<string> readableSecrets, ValidationReport report, CancellationToken cancellationToken)
    {
        foreach (var key in keys.Where(k => k.Issuer.Kind == IssuerType.Http))
        {
            var owner = $"Keys[{key.Name}]";
            if (!readableSecrets.Contains(key.Issuer.Http.CredentialSecret))
            {
                report.Notes.Add($"{owner}: the vendor's List request was not tried: its credential secret '{key.Issuer.Http.CredentialSecret}' could not be read.");
                continue;
            }

            report.VendorListings++;
            try
            {
                await issuers.Create(key).ListAsync(cancellationToken);
            }
            catch (IssuerException e)
            {
                report.Problem(owner, $"the vendor's List request failed: {e.Message}. Check Issuer.Http.BaseUrl, Issuer.Http.List and Issuer.Http.Pointers, "
                    + $"and that secret '{key.Issuer.Http.CredentialSecret}' holds a management credential the vendor accepts for account '{key.Issuer.Http.Account}'.");
            }
            catch (VaultException e)
            {
                report.Problem(owner, $"the vendor's credential could not be read: {e.Message}");
            }
        }
    }

    /// <summary>Every address of every consumer and verifier probe must answer the consumer contract's JSON.</summary>
    public async Task CheckProbesAsync(IReadOnlyList<ManagedKeyOptions> keys, ValidationReport report, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            await CheckAsync(key, key.Consumers, ProbeRole.Consumer, report, cancellationToken);
            await CheckAsync(key, key.Verifiers, ProbeRole.Verifier, report, cancellationToken);
        }
    }

    private async Task CheckAsync(ManagedKeyOptions key, IReadOnlyList<ProbeOptions> probes, ProbeRole role, ValidationReport report, CancellationToken cancellationToken)
    {
        if (probes.Count == 0)
        {
            return;
        }

        var owner = $"Keys[{key.Name}]";
        var section = role == ProbeRole.Consumer ? "Consumers" : "Verifiers";
        foreach (var observation in await probe.PollAsync(probes, role, cancellationToken))
        {
            report.ProbeAddresses++;
            var where = string.IsNullOrEmpty(observation.Address) ? observation.Target : $"{observation.Target} at {observation.Address}";
            if (observation.Error is null)
            {
                continue;
            }

            if (observation.Error == NotSentYet)
            {
                report.Notes.Add($"{owner}: {role.ToString().ToLowerInvariant()} {where} answers but {NotSentYet}.");
                continue;
            }

            report.Problem(owner, $"{role.ToString().ToLowerInvariant()} probe {where} {observation.Error}: check its URL in {section} "
                + "and that the service is up and answers the consumer contract (DESIGN.md, \"The consumer contract\").");
        }
    }
}

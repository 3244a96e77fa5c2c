using Azure;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Rotator.Configuration;

namespace Rotator.Cli.Validation;

/// <summary>
/// Reads (never writes) every secret the worker needs, as the worker's identity: a 403 names the missing permission and
/// the secret. Write permissions (set, update) cannot be proved without a write, so they are left as a note.
/// </summary>
internal sealed class VaultAccessCheck(SecretClient client)
{
    public const string WriteNote =
        "Not checked: the set and update (write) permissions Rotator needs on each managed secret and its -rotator and -accepted secrets; "
        + "they cannot be verified without a write, and validate changes nothing. Grant them with the get and list permissions (RBAC: 'Key Vault Secrets Officer').";

    /// <summary>Every secret to read, per managed key and per admin key (a generated key of its own).</summary>
    public static IReadOnlyList<SecretCheck> SecretsOf(RotatorOptions options)
    {
        var checks = new List<SecretCheck>();
        // The admin keys' own managed keys are checked below, under their admin names.
        foreach (var key in options.Keys.Where(k => !Admin.AdminKeys.IsDerived(k)))
        {
            var owner = $"Keys[{key.Name}]";
            checks.Add(new SecretCheck(owner, key.Secret, "the managed secret", List: true,
                key.Bootstrap ? null : $"store the current key in it, or set Rotator:Keys[{key.Name}].Bootstrap to true so that Rotator mints the first one"));
            checks.Add(new SecretCheck(owner, SecretNames.Control(key.Secret), "the control secret", List: true, null));
            if (key.Issuer.Kind == IssuerType.Generated)
            {
                checks.Add(new SecretCheck(owner, SecretNames.Accepted(key.Secret), "the accepted-keys secret", List: true, null));
            }

            if (key.Issuer.Kind == IssuerType.Http)
            {
                checks.Add(new SecretCheck(owner, key.Issuer.Http.CredentialSecret, "the vendor's management credential", List: false,
                    "store the vendor's management token in it"));
            }
        }

        foreach (var key in options.Admin.Keys)
        {
            var owner = $"Admin.Keys[{key.Name}]";
            // An empty admin secret is not a problem: the worker stores the seed or mints the first key itself.
            checks.Add(new SecretCheck(owner, key.Secret, "the admin key's secret", List: true, null));
            checks.Add(new SecretCheck(owner, SecretNames.Control(key.Secret), "the control secret", List: true, null));
            checks.Add(new SecretCheck(owner, SecretNames.Accepted(key.Secret), "the accepted-keys secret", List: true, null));
        }

        return checks;
    }

    /// <summary>Runs the reads; returns the secrets that could be read (the credentials the vendor check may use).</summary>
    public async Task<IReadOnlySet<string>> RunAsync(IReadOnlyList<SecretCheck> checks, ValidationReport report, CancellationToken cancellationToken)
    {
        var readable = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var check in checks)
        {
            report.SecretsChecked++;
            var get = await AskAsync(ct => client.GetSecretAsync(check.Secret, cancellationToken: ct), cancellationToken);
            if (get.Fatal is { } fatal)
            {
                report.Problem("Rotator:Vault", fatal);
                return readable;
            }

            if (get.Status == 200)
            {
                readable.Add(check.Secret);
            }
            else if (get.Status == 404)
            {
                if (check.MustExist is { } fix)
                {
                    report.Problem(check.Owner, $"secret '{check.Secret}' ({check.Purpose}) does not exist in the vault: {fix}.");
                }
            }
            else
            {
                report.Problem(check.Owner, Describe("get", check, get.Status, get.Code));
            }

            if (!check.List)
            {
                continue;
            }

            var list = await AskAsync(async ct =>
            {
                // The first page proves the permission; the rest is not needed.
                await foreach (var page in client.GetPropertiesOfSecretVersionsAsync(check.Secret, ct).AsPages(pageSizeHint: 1))
                {
                    _ = page;
                    break;
                }
            }, cancellationToken);
            if (list.Fatal is { } listFatal)
            {
                report.Problem("Rotator:Vault", listFatal);
                return readable;
            }

            if (list.Status is not (200 or 404))
            {
                report.Problem(check.Owner, Describe("list", check, list.Status, list.Code));
            }
        }

        return readable;
    }

    /// <summary>Pure: the line for a refused or failed read, naming the permission and the secret.</summary>
    public static string Describe(string permission, SecretCheck check, int status, string? code)
    {
        var codeText = string.IsNullOrEmpty(code) ? "" : " " + code;
        if (status == 403 && code is not null && code.Contains("Disabled", StringComparison.OrdinalIgnoreCase))
        {
            return $"the latest version of secret '{check.Secret}' ({check.Purpose}) is disabled: enable it, or write a new enabled version.";
        }

        return status == 403
            ? $"the vault refused '{permission}' on secret '{check.Secret}' ({check.Purpose}) with 403{codeText}: grant Rotator's identity the secret '{permission}' permission "
                + "(access policy), or a role that includes it (RBAC: 'Key Vault Secrets Officer') on the vault or this secret."
            : $"'{permission}' on secret '{check.Secret}' ({check.Purpose}) failed: the vault answered {status}{codeText}; check the vault's health and run validate again.";
    }

    private async Task<Answer> AskAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        try
        {
            await call(cancellationToken);
            return new Answer(200, null, null);
        }
        catch (RequestFailedException e) when (e.Status == 401)
        {
            return new Answer(401, e.ErrorCode, $"the vault at {client.VaultUri} did not accept Rotator's identity (401 {e.ErrorCode}): check Rotator:Vault:Credential and the identity's access to this vault.");
        }
        catch (RequestFailedException e) when (e.Status != 0)
        {
            return new Answer(e.Status, e.ErrorCode, null);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Answer(0, null, $"cannot reach the vault at {client.VaultUri} ({e.GetType().Name}): check Rotator:Vault:Uri and the network path to it.");
        }
        catch (AuthenticationFailedException e)
        {
            // CredentialUnavailableException too: no identity in this environment.
            return new Answer(0, null, $"no token for the vault with Rotator:Vault:Credential as configured ({e.GetType().Name}): run validate where the worker runs, with its identity.");
        }
    }

    private sealed record Answer(int Status, string? Code, string? Fatal);
}

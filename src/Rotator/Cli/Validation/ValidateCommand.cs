using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Options;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Issuers;

namespace Rotator.Cli.Validation;

/// <summary>
/// <c>validate</c>: the configuration, then — reading only — the vault permissions, each vendor's List request and each
/// probe. Zero when all pass; otherwise one line per problem, each naming the key, what failed and how to fix it.
/// </summary>
internal static class ValidateCommand
{
    public const int ChecksFailed = 1;

    // Problems are reported as lines; the worker's own logs would repeat them in another form.
    private static readonly Dictionary<string, string?> QuietLogs = new()
    {
        ["Serilog:MinimumLevel:Default"] = "Error",
        ["Serilog:MinimumLevel:Override:Rotator"] = "Error",
        ["Serilog:MinimumLevel:Override:System"] = "Error",
        ["Serilog:MinimumLevel:Override:Microsoft"] = "Error",
    };

    /// <param name="offline">Check the configuration only: no vault, vendor or probe is asked.</param>
    public static async Task<int> RunAsync(FileInfo? config, bool offline, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var builder = WorkerHost.CreateBuilder(config, QuietLogs);
        builder.AddRotator(localVaultAllowed: builder.Environment.IsDevelopment());
        await using var host = builder.Build();
        RotatorOptions options;
        try
        {
            options = host.Services.GetRequiredService<IOptions<RotatorOptions>>().Value;
        }
        catch (OptionsValidationException e)
        {
            await WorkerHost.PrintProblemsAsync(e.Failures, error);
            return WorkerHost.ConfigurationError;
        }

        await output.WriteLineAsync($"Configuration is valid: {options.Keys.Count(k => !Admin.AdminKeys.IsDerived(k))} managed key(s), {options.Admin.Keys.Count} admin key(s).");
        if (offline)
        {
            return 0;
        }

        var report = new ValidationReport();
        IReadOnlySet<string> readable = new HashSet<string>();
        if (options.Vault.Uri is null)
        {
            report.Problem("Rotator:Vault", "Uri is not set, so the vault cannot be checked: set Rotator:Vault:Uri to the vault the worker uses.");
        }
        else
        {
            SecretClient? client = null;
            try
            {
                client = host.Services.GetRequiredService<SecretClient>();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                report.Problem("Rotator:Vault", $"no client for the vault could be built ({e.GetType().Name}): check Rotator:Vault:Credential and, for the local vault, Rotator:Vault:LocalVaultData.");
            }

            if (client is not null)
            {
                readable = await new VaultAccessCheck(client).RunAsync(VaultAccessCheck.SecretsOf(options), report, cancellationToken);
            }
        }

        var reachability = new ReachabilityCheck(host.Services.GetRequiredService<IIssuerFactory>(), host.Services.GetRequiredService<IConsumerProbe>());
        // The admin keys' probes are answered inside the worker, by its own cache of accepted keys: nothing to reach.
        var managed = options.Keys.Where(k => !Admin.AdminKeys.IsDerived(k)).ToList();
        await reachability.CheckVendorsAsync(managed, readable, report, cancellationToken);
        await reachability.CheckProbesAsync(managed, report, cancellationToken);

        await output.WriteLineAsync($"Checked: {report.SecretsChecked} secret(s) in the vault, {report.VendorListings} vendor listing(s), {report.ProbeAddresses} probe address(es).");
        foreach (var note in report.Notes.Append(VaultAccessCheck.WriteNote))
        {
            await output.WriteLineAsync("Note: " + note);
        }

        if (report.Passed)
        {
            await output.WriteLineAsync("All checks passed.");
            return 0;
        }

        await error.WriteLineAsync($"validate found {report.Problems.Count} problem(s):");
        foreach (var problem in report.Problems)
        {
            await error.WriteLineAsync("  - " + problem);
        }

        return ChecksFailed;
    }
}

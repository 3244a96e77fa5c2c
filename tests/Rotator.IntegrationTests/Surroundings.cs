using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging.Abstractions;
using Rotator.Cli;
using Rotator.Demo;
using Rotator.LocalVault;

namespace Rotator.IntegrationTests;

/// <summary>One consumer replica: its refresh interval (null: it never refreshes) and the faults of its probe.</summary>
internal sealed record ConsumerSpec(TimeSpan? Refresh, ProbeFaults? Faults = null);

/// <summary>
/// Everything around a worker, over real HTTP on 127.0.0.1: the local vault (with a data folder the worker can read
/// its token and certificate from), the sample vendor or, for generated keys, a sample verifier, and consumer
/// replicas. Both the in-process worker's tests and the process harness stand on it.
/// </summary>
internal sealed class Surroundings : IAsyncDisposable
{
    private Surroundings(DirectoryInfo folder) => Folder = folder;

    public DirectoryInfo Folder { get; }

    public string VaultData => Path.Combine(Folder.FullName, "vault");

    public bool Generated { get; private set; }

    public LocalVaultServer Vault { get; private set; } = null!;

    public SampleVendor? Vendor { get; private set; }

    public SampleVerifier? Verifier { get; private set; }

    public SecretClient Secrets { get; private set; } = null!;

    /// <summary>What consumers call: the vendor, or the verifier's API for generated keys.</summary>
    public Uri Api { get; private set; } = null!;

    public List<SampleConsumer> Consumers { get; } = [];

    public long FailedRequests => Consumers.Sum(c => c.FailedRequests);

    public long Requests => Consumers.Sum(c => c.Requests);

    /// <summary>Every key value that reached the vault: what the outputs are searched for.</summary>
    public IReadOnlyList<string> KeysInVault => [.. Vault.Snapshot().Where(v => v.Name.Equals(DemoCommand.Secret, StringComparison.OrdinalIgnoreCase)).Select(v => v.Value).Distinct()];

    public static async Task<Surroundings> StartAsync(string name, bool generated, IReadOnlyList<ConsumerSpec> consumers, TimeSpan verifierRefresh)
    {
        var around = new Surroundings(Directory.CreateTempSubdirectory($"rotator-{name}-")) { Generated = generated };
        try
        {
            await around.StartPartsAsync(consumers, verifierRefresh);
            return around;
        }
        catch
        {
            await around.DisposeAsync();
            throw;
        }
    }

    private async Task StartPartsAsync(IReadOnlyList<ConsumerSpec> consumers, TimeSpan verifierRefresh)
    {
        var time = TimeProvider.System;
        Vault = await LocalVaultServer.StartAsync(new LocalVaultOptions { DataDirectory = VaultData }, time, null, CancellationToken.None);
        Secrets = LocalVaultConnection.CreateClient(Vault.Uri, Vault.AccessToken, Vault.Certificate, TimeSpan.FromSeconds(10));
        if (Generated)
        {
            Verifier = new SampleVerifier("verifier", Secrets, DemoCommand.Secret, verifierRefresh, time, NullLogger.Instance);
            await Verifier.StartAsync(CancellationToken.None);
            Api = Verifier.BaseUri;
        }
        else
        {
            Vendor = await SampleVendor.StartAsync(new SampleVendorOptions(), time, null, CancellationToken.None);
            await Secrets.SetSecretAsync(DemoCommand.ManagementSecret, Vendor.CreateAccount(DemoCommand.Account));
            Api = Vendor.BaseUri;
        }

        for (var i = 0; i < consumers.Count; i++)
        {
            Consumers.Add(new SampleConsumer(
                $"consumer-{i + 1}", Secrets, DemoCommand.Secret, Api, consumers[i].Refresh ?? TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(25), time, NullLogger.Instance)
            {
                NeverRefresh = consumers[i].Refresh is null,
                ProbeFaults = consumers[i].Faults,
            });
        }

        foreach (var consumer in Consumers)
        {
            await consumer.StartAsync(CancellationToken.None);
        }
    }

    /// <summary>The demo's configuration on a fast schedule, pointed at these parts; a generated key when the verifier stands in for the vendor.</summary>
    public Dictionary<string, string?> WorkerConfiguration()
    {
        var config = DemoCommand.Configuration(Vault.Uri, VaultData, Api, [.. Consumers.Select(c => c.ProbeUri)]);
        config["Rotator:Keys:0:Schedule:Interval"] = "00:00:01";
        config["Rotator:Keys:0:Rollout:PollInterval"] = "00:00:00.100";
        if (Generated)
        {
            foreach (var key in config.Keys.Where(k => k.StartsWith("Rotator:Keys:0:Issuer:Http:", StringComparison.Ordinal)).ToList())
            {
                config.Remove(key);
            }

            config["Rotator:Keys:0:Issuer:Type"] = "Generated";
            config["Rotator:Keys:0:Issuer:Prefix"] = "sk_live_";
            config["Rotator:Keys:0:Verifiers:0:Url"] = Verifier!.ProbeUri.ToString();
        }

        return config;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in Consumers)
        {
            await consumer.DisposeAsync();
        }

        if (Verifier is not null)
        {
            await Verifier.DisposeAsync();
        }

        if (Vendor is not null)
        {
            await Vendor.DisposeAsync();
        }

        if (Vault is not null)
        {
            await Vault.DisposeAsync();
        }

        Folder.Delete(recursive: true);
    }
}

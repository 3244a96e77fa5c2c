using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Rotator.Demo;
using Rotator.LocalVault;
using Rotator.Rotation;
using Serilog;
using Serilog.Extensions.Logging;

namespace Rotator.Cli;

/// <summary>
/// <c>demo</c>: the local vault, a sample vendor, three consumer replicas and the worker in one process, talking
/// real HTTP, rotating a key on a fast schedule until <c>--rotations</c> have completed.
/// </summary>
internal static class DemoCommand
{
    public const string Secret = "demo-api-key";
    public const string Account = "demo";
    public const string DemoKey = "demo";
    public const string ManagementSecret = "demo-vendor-management";
    public const string ViewerKey = "viewer";
    public const string ViewerSecret = "demo-admin-viewer";
    public const string OperatorKey = "operator";
    public const string OperatorSecret = "demo-admin-operator";

    /// <summary>Each rotation must finish within this, or the demo fails: the rollout timeout plus the schedule's wait.</summary>
    private static readonly TimeSpan PerRotationLimit = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(int rotations, DirectoryInfo? data, CancellationToken cancellationToken)
    {
        if (rotations < 1)
        {
            await Console.Error.WriteLineAsync($"--rotations {rotations} is not a positive number of rotations; use 1 or more.");
            return WorkerHost.ConfigurationError;
        }

        var temporary = data is null ? Directory.CreateTempSubdirectory("rotator-demo-") : null;
        var folder = data ?? temporary!;
        try
        {
            return await RunInAsync(rotations, folder, resumable: data is not null, cancellationToken);
        }
        finally
        {
            temporary?.Delete(recursive: true);
        }
    }

    private static async Task<int> RunInAsync(int rotations, DirectoryInfo folder, bool resumable, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        await using var partsLog = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console().CreateLogger();
        using var parts = new SerilogLoggerFactory(partsLog);

        var vaultData = Path.Combine(folder.FullName, "vault");
        await using var vault = await LocalVaultServer.StartAsync(new LocalVaultOptions { DataDirectory = vaultData }, time, parts, cancellationToken);
        await using var vendor = await SampleVendor.StartAsync(
            new SampleVendorOptions { DataDirectory = resumable ? Path.Combine(folder.FullName, "vendor") : null }, time, parts, cancellationToken);
        var secrets = LocalVaultConnection.CreateClient(vault.Uri, vault.AccessToken, vault.Certificate, TimeSpan.FromSeconds(10));
        await StoreManagementTokenAsync(secrets, vendor.CreateAccount(Account), cancellationToken);

        Console.WriteLine($"local vault:   {vault.Uri} (data in {vaultData})");
        Console.WriteLine($"sample vendor: {vendor.BaseUri} (account '{Account}', at most two active keys)");

        var refreshes = new[] { TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(2) };
        var consumers = refreshes.Select((refresh, i) => new SampleConsumer(
            $"consumer-{i + 1}", secrets, Secret, vendor.BaseUri, refresh, TimeSpan.FromMilliseconds(40), time, parts.CreateLogger($"consumer-{i + 1}"))).ToList();
        for (var i = 0; i < consumers.Count; i++)
        {
            await consumers[i].StartAsync(cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"consumer:      {consumers[i].Name} probe {consumers[i].ProbeUri} (re-reads the vault every {refreshes[i].TotalSeconds:0.0} s)"));
        }

        var config = Configuration(vault.Uri, vaultData, vendor.BaseUri, [.. consumers.Select(c => c.ProbeUri)]);
        foreach (var (name, value) in AdminConfiguration())
        {
            config[name] = value;
        }

        var builder = WorkerHost.CreateBuilder(config: null, config);
        builder.AddRotator(localVaultAllowed: true);
        await using var host = WorkerHost.Build(builder);
        var observer = (RotationObserver)host.Services.GetService(typeof(RotationObserver))!;
        using var counters = new Counters();
        var progress = new Progress(rotations, consumers, counters);
        observer.Executed += progress.OnExecuted;

        var outcome = 0;
        try
        {
            await host.StartAsync(cancellationToken);
            await PrintAdminAsync(host, secrets, cancellationToken);
            outcome = await progress.WaitAsync(PerRotationLimit * rotations, cancellationToken);
        }
        finally
        {
            observer.Executed -= progress.OnExecuted;
            await host.StopAsync(CancellationToken.None);
            foreach (var consumer in consumers)
            {
                await consumer.StopAsync(CancellationToken.None);
            }
        }

        var requests = consumers.Sum(c => c.Requests);
        var failed = consumers.Sum(c => c.FailedRequests);
        using (var self = Process.GetCurrentProcess())
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"memory: peak working set {self.PeakWorkingSet64 / (1024 * 1024)} MiB, managed heap {GC.GetGCMemoryInfo().HeapSizeBytes / (1024 * 1024)} MiB (vault, vendor, consumers and worker in one process)"));
        }

        Console.WriteLine($"rotations: {progress.Completed}, consumer requests: {requests}, failed requests: {failed}");
        return outcome == 0 && failed == 0 && progress.Completed >= rotations ? 0 : 1;
    }

    /// <summary>The demo's admin keys: a viewer and an operator, each seeded with a fresh random value.</summary>
    internal static Dictionary<string, string?> AdminConfiguration()
    {
        var generated = new Rotator.Configuration.IssuerOptions();
        return new Dictionary<string, string?>
        {
            ["Rotator:Admin:Keys:0:Name"] = ViewerKey,
            ["Rotator:Admin:Keys:0:Role"] = nameof(Rotator.Configuration.AdminRole.Viewer),
            ["Rotator:Admin:Keys:0:Secret"] = ViewerSecret,
            ["Rotator:Admin:Keys:0:Seed"] = Issuers.Generated.KeyGenerator.Generate(generated),
            ["Rotator:Admin:Keys:1:Name"] = OperatorKey,
            ["Rotator:Admin:Keys:1:Role"] = nameof(Rotator.Configuration.AdminRole.Operator),
            ["Rotator:Admin:Keys:1:Secret"] = OperatorSecret,
            ["Rotator:Admin:Keys:1:Seed"] = Issuers.Generated.KeyGenerator.Generate(generated),
        };
    }

    /// <summary>
    /// Where the admin API and the metrics listen, and the viewer key to call it with: read from the vault, as a person
    /// would, because a folder kept from an earlier run has its own first key (a seed is used only once).
    /// </summary>
    private static async Task PrintAdminAsync(WebApplication host, SecretClient secrets, CancellationToken cancellationToken)
    {
        var admin = WorkerHost.Addresses(host).FirstOrDefault()?.ToString().TrimEnd('/');
        string viewer;
        try
        {
            viewer = (await secrets.GetSecretAsync(ViewerSecret, cancellationToken: cancellationToken)).Value.Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            viewer = $"not stored yet, read it from the vault secret '{ViewerSecret}'";
        }

        Console.WriteLine($"admin API:     {admin} (viewer key: {viewer}; the operator key is in the vault secret '{OperatorSecret}')");
        Console.WriteLine($"metrics:       {admin}{Admin.AdminRoutes.Metrics}");
    }

    private static async Task StoreManagementTokenAsync(SecretClient secrets, string token, CancellationToken cancellationToken)
    {
        try
        {
            if ((await secrets.GetSecretAsync(ManagementSecret, cancellationToken: cancellationToken)).Value.Value == token)
            {
                return;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // First start: store it below.
        }

        await secrets.SetSecretAsync(ManagementSecret, token, cancellationToken);
    }

    /// <summary>The embedded default: one vendor key, bootstrapped, rotating every few seconds.</summary>
    internal static Dictionary<string, string?> Configuration(Uri vault, string vaultData, Uri vendor, IReadOnlyList<Uri> consumerProbes)
    {
        var config = new Dictionary<string, string?>
        {
            ["Rotator:JsonLogs"] = "false",
            ["Rotator:Admin:Urls"] = "http://127.0.0.1:0",
            ["Serilog:MinimumLevel:Default"] = "Information",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",
            ["Serilog:MinimumLevel:Override:System"] = "Warning",
            ["Serilog:MinimumLevel:Override:Quartz"] = "Warning",
            ["Rotator:Vault:Uri"] = vault.ToString(),
            ["Rotator:Vault:Credential"] = "LocalVault",
            ["Rotator:Vault:LocalVaultData"] = vaultData,
            ["Rotator:Retry:BaseDelay"] = "00:00:00.200",
            ["Rotator:LeaseCheckDelay"] = "00:00:00.050",
            ["Rotator:Retry:MaxDelay"] = "00:00:02",
            ["Rotator:Keys:0:Name"] = DemoKey,
            ["Rotator:Keys:0:Secret"] = Secret,
            ["Rotator:Keys:0:Bootstrap"] = "true",
            ["Rotator:Keys:0:Schedule:Interval"] = "00:00:03",
            ["Rotator:Keys:0:Rollout:PollInterval"] = "00:00:00.250",
            ["Rotator:Keys:0:Rollout:StableFor"] = "00:00:01",
            ["Rotator:Keys:0:Rollout:Timeout"] = "00:01:00",
            ["Rotator:Keys:0:Rollout:StalledPollInterval"] = "00:00:02",
            ["Rotator:Keys:0:Issuer:Type"] = "Http",
            ["Rotator:Keys:0:Issuer:Http:BaseUrl"] = vendor.ToString(),
            ["Rotator:Keys:0:Issuer:Http:Account"] = Account,
            ["Rotator:Keys:0:Issuer:Http:CredentialSecret"] = ManagementSecret,
            ["Rotator:Keys:0:Issuer:Http:Create:Url"] = "/v1/accounts/{account}/keys",
            ["Rotator:Keys:0:Issuer:Http:Create:Body"] = "{\"label\":\"{label}\"}",
            ["Rotator:Keys:0:Issuer:Http:List:Url"] = "/v1/accounts/{account}/keys",
            ["Rotator:Keys:0:Issuer:Http:Revoke:Url"] = "/v1/accounts/{account}/keys/{id}",
            ["Rotator:Keys:0:Issuer:Http:Pagination:Style"] = "Cursor",
            ["Rotator:Keys:0:Issuer:Http:Pagination:Next"] = "/next",
            ["Rotator:Keys:0:Issuer:Http:Pagination:CursorParameter"] = "cursor",
            ["Rotator:Keys:0:Issuer:Http:Verify:Url"] = "/v1/account/credits",
            ["Rotator:Keys:0:Issuer:Http:Verify:Header"] = "X-Api-Key",
            ["Rotator:Keys:0:Issuer:Http:Verify:Delay"] = "00:00:00.200",
        };
        for (var i = 0; i < consumerProbes.Count; i++)
        {
            config[$"Rotator:Keys:0:Consumers:{i}:Url"] = consumerProbes[i].ToString();
        }

        return config;
    }

    /// <summary>Prints each completed rotation and decides when the demo is done.</summary>
    private sealed class Progress(int wanted, IReadOnlyList<SampleConsumer> consumers, Counters counters)
    {
        private readonly TaskCompletionSource<int> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private TimeSpan lastCompletion;
        private (long Sets, long Others, long Issuer) lastCounts;
        private int completed;

        public int Completed => Volatile.Read(ref completed);

        public void OnExecuted(string key, ExecutionResult result)
        {
            // Only the demo key counts: the admin keys rotate on their own schedule.
            if (key != DemoKey)
            {
                return;
            }

            if (result.Completed is { } record)
            {
                var took = clock.Elapsed - lastCompletion;
                lastCompletion = clock.Elapsed;
                var counts = counters.Read();
                var (sets, others, issuer) = (counts.Sets - lastCounts.Sets, counts.Others - lastCounts.Others, counts.Issuer - lastCounts.Issuer);
                lastCounts = counts;
                if (record.Trigger == RotationTrigger.Bootstrap)
                {
                    Console.WriteLine($"bootstrap: first key {record.NewKey?.Fingerprint} stored ({record.RotationId})");
                    return;
                }

                var count = Interlocked.Increment(ref completed);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rotation {count}/{wanted} completed in {took.TotalSeconds:0.0} s ({record.RotationId}): {record.OldKey?.Fingerprint} -> {record.NewKey?.Fingerprint}; vault {sets} sets + {others} other operations, issuer {issuer} requests; consumer requests so far {consumers.Sum(c => c.Requests)}, failed {consumers.Sum(c => c.FailedRequests)}"));
                if (count >= wanted)
                {
                    done.TrySetResult(0);
                }
            }
            else if (result.Phase is Phase.NeedsAttention or Phase.Stalled)
            {
                Console.Error.WriteLine($"key {key} is {result.Phase}: {result.Error}");
                done.TrySetResult(1);
            }
        }

        public async Task<int> WaitAsync(TimeSpan limit, CancellationToken cancellationToken)
        {
            try
            {
                return await done.Task.WaitAsync(limit, TimeProvider.System, cancellationToken);
            }
            catch (TimeoutException)
            {
                await Console.Error.WriteLineAsync($"only {Completed} of {wanted} rotations completed within {limit}.");
                return 1;
            }
        }
    }

    /// <summary>Reads Rotator's own vault and issuer counters, to show what each rotation cost.</summary>
    private sealed class Counters : IDisposable
    {
        private readonly MeterListener listener = new();
        private long sets;
        private long others;
        private long issuer;

        public Counters()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Telemetry.RotatorMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (instrument.Name == "rotator.issuer.requests")
                {
                    Interlocked.Add(ref issuer, value);
                }
                else if (instrument.Name == "rotator.vault.operations")
                {
                    var set = false;
                    foreach (var tag in tags)
                    {
                        set |= tag.Key == "operation" && (string?)tag.Value == "set";
                    }

                    Interlocked.Add(ref set ? ref sets : ref others, value);
                }
            });
            listener.Start();
        }

        public (long Sets, long Others, long Issuer) Read() => (Interlocked.Read(ref sets), Interlocked.Read(ref others), Interlocked.Read(ref issuer));

        public void Dispose() => listener.Dispose();
    }
}

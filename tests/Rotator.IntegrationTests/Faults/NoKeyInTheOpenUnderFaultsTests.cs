using Rotator.Demo;
using Rotator.IntegrationTests.Rotation;
using Rotator.LocalVault;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Faults;

/// <summary>
/// Many rotations under mixed faults, switched at random after each one, then every output searched for every key the
/// vault ever held: error paths are where a key slips into a message.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class NoKeyInTheOpenUnderFaultsTests(ITestOutputHelper output)
{
    private const int Rotations = 10;

    private static readonly Func<LocalVaultFault>[] VaultFaults =
    [
        () => LocalVaultFault.Throttle(),
        () => LocalVaultFault.Throttle(TimeSpan.FromSeconds(1)),
        () => LocalVaultFault.Unavailable(),
        () => LocalVaultFault.Delayed(FaultWorld.VaultTimeout * 1.6),
        () => LocalVaultFault.CommitThenUnavailable(),
        () => LocalVaultFault.CommitThenAbort(),
    ];

    private static readonly VendorFault?[] IssuerFaults = [VendorFault.Unavailable, VendorFault.CommitThenFail, VendorFault.CommitThenAbort, VendorFault.Garbage, null];

    /// <summary>Vendor keys: the one kind whose value crosses the network in an answer. Every other fault test searches its outputs too.</summary>
    [Fact]
    public async Task ManyRotationsUnderMixedFaults_NoKeyInAnyLogLineExceptionOrTag()
    {
        var name = "mixed faults, Http issuer";
        var seed = FaultSeed.Choose(output, name);
        var random = new Random(seed);
        await using var world = await RotationWorld.StartAsync(FaultWorld.Options(generated: false, c => c["Serilog:MinimumLevel:Default"] = "Debug"));
        var audit = new FaultAudit(world, seed, output);
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, FaultWorld.Limit, "the bootstrap");

        var probes = world.Consumers.Select((c, i) => c.ProbeFaults = new ProbeFaults(FaultWorld.Probability / 2, seed + i, [ProbeFault.Unavailable, ProbeFault.Hang, ProbeFault.Garbage], TimeSpan.FromSeconds(5))).ToList();
        var vaultInjected = 0;
        var issuerInjected = 0;
        var kinds = new List<string>();
        for (var rotation = 1; rotation <= Rotations; rotation++)
        {
            var vaultFault = VaultFaults[random.Next(VaultFaults.Length)]();
            world.Vault.Faults.FailRandomly(FaultWorld.Probability, vaultFault, random.Next());
            VendorFaultPlan? plan = null;
            if (world.Vendor is { } vendor)
            {
                plan = IssuerFaults[random.Next(IssuerFaults.Length)] is { } issuerFault
                    ? VendorFaultPlan.Fail(vendor, issuerFault, FaultWorld.IssuerProbability, random.Next())
                    : VendorFaultPlan.Delay(vendor, FaultWorld.IssuerTimeout * 2, FaultWorld.IssuerProbability, random.Next());
            }

            kinds.Add($"{vaultFault.Kind}{(vaultFault.RetryAfter is null ? "" : "+RetryAfter")}/{plan?.Kind ?? "-"}");
            await world.WaitForRotationsAsync(rotation, FaultWorld.Limit);
            plan?.Stop();
            issuerInjected += plan?.InjectedTotal ?? 0;
        }

        vaultInjected = world.Vault.Faults.Injected;
        world.Vault.Faults.Clear();
        foreach (var consumer in world.Consumers)
        {
            consumer.ProbeFaults = null;
        }

        await audit.StopAsync();

        var keys = world.KeysInVault;
        output.WriteLine($"{name}: vault/issuer fault per rotation: {string.Join(", ", kinds)}");
        output.WriteLine($"{name}: {vaultInjected} vault faults, {issuerInjected} issuer faults, {probes.Sum(p => p.Injected)} probe faults; " +
            $"{keys.Count} keys searched in {world.Logs.Lines.Count} log lines");
        audit.Print(name);
        Assert.True(keys.Count > Rotations, $"only {keys.Count} keys reached the vault (seed {seed})");
        audit.AssertSafe();
    }
}

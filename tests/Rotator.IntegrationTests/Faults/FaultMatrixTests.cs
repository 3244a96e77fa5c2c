using Rotator.Demo;
using Rotator.IntegrationTests.Rotation;
using Rotator.LocalVault;
using Rotator.Rotation;
using Xunit.Abstractions;

namespace Rotator.IntegrationTests.Faults;

/// <summary>
/// Several rotations with one kind of fault hitting a seeded 20% of the calls it can hit: the vault (through the real
/// SDK, whose own retries are off), the vendor, or the consumers' probes. Every rotation must complete, and nothing
/// unsafe may happen on the way.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class FaultMatrixTests(ITestOutputHelper output)
{
    private const int Rotations = 3;

    /// <summary>Faults that only hit writes hit a few calls per rotation, so they get more rotations.</summary>
    private const int RotationsUnderCommitFaults = 5;

    public static TheoryData<string, bool> VaultFaults() => new()
    {
        { "429", false }, { "429", true },
        { "429 Retry-After", false }, { "429 Retry-After", true },
        { "503", false }, { "503", true },
        { "timeout", false }, { "timeout", true },
        { "commit then 503", false }, { "commit then 503", true },
        { "commit then abort", false }, { "commit then abort", true },
    };

    public static TheoryData<string> VendorFaults() => ["Unavailable", "CommitThenFail", "CommitThenAbort", "Garbage", "Delay"];

    [Theory]
    [MemberData(nameof(VaultFaults))]
    public async Task VaultFault_EveryRotationCompletesWithoutDuplicatesEarlyRevokesOrFailedRequests(string kind, bool generated)
    {
        var name = $"vault {kind}, {(generated ? "Generated" : "Http")} issuer";
        var seed = FaultSeed.Choose(output, name);
        var (fault, rotations) = kind switch
        {
            "429" => (LocalVaultFault.Throttle(), Rotations),
            "429 Retry-After" => (LocalVaultFault.Throttle(TimeSpan.FromSeconds(1)), Rotations),
            "503" => (LocalVaultFault.Unavailable(), Rotations),
            "timeout" => (LocalVaultFault.Delayed(FaultWorld.VaultTimeout * 1.6), Rotations),
            "commit then 503" => (LocalVaultFault.CommitThenUnavailable(), RotationsUnderCommitFaults),
            "commit then abort" => (LocalVaultFault.CommitThenAbort(), RotationsUnderCommitFaults),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        await using var world = await RotationWorld.StartAsync(FaultWorld.Options(generated));
        var audit = new FaultAudit(world, seed, output);
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, FaultWorld.Limit, "the bootstrap");

        world.Vault.Faults.FailRandomly(FaultWorld.Probability, fault, seed);
        await world.WaitForRotationsAsync(rotations, FaultWorld.Limit);
        world.Vault.Faults.Clear();
        await audit.StopAsync();

        output.WriteLine($"{name}: {world.Vault.Faults.Injected} vault faults injected");
        audit.Print(name);
        audit.AssertSafe();
    }

    [Theory]
    [MemberData(nameof(VendorFaults))]
    public async Task IssuerFaultOnCreateAndRevoke_EveryRotationCompletesWithoutAThirdKeyOrAnEarlyRevoke(string kind)
    {
        var name = $"vendor {kind} on create and revoke";
        var seed = FaultSeed.Choose(output, name);
        await using var world = await RotationWorld.StartAsync(FaultWorld.Options(generated: false));
        var audit = new FaultAudit(world, seed, output);
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, FaultWorld.Limit, "the bootstrap");

        var plan = kind == "Delay"
            ? VendorFaultPlan.Delay(world.Vendor!, FaultWorld.IssuerTimeout * 2, FaultWorld.IssuerProbability, seed)
            : VendorFaultPlan.Fail(world.Vendor!, Enum.Parse<VendorFault>(kind), FaultWorld.IssuerProbability, seed);
        await world.WaitForRotationsAsync(RotationsUnderCommitFaults, FaultWorld.Limit);
        plan.Stop();
        await audit.StopAsync();

        output.WriteLine($"{name}: {plan.Injected(VendorOperation.Create)} create and {plan.Injected(VendorOperation.Revoke)} revoke faults injected");
        audit.Print(name);
        audit.AssertSafe();
        Assert.Equal(0, world.Vendor!.RejectedCalls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConsumerProbesThatFlap_NeverOpenTheGateEarlyAndEveryRotationCompletes(bool generated)
    {
        var name = $"consumer probes flapping, {(generated ? "Generated" : "Http")} issuer";
        var seed = FaultSeed.Choose(output, name);
        var probes = new List<ProbeFaults>();
        await using var world = await RotationWorld.StartAsync(FaultWorld.Options(generated));
        var audit = new FaultAudit(world, seed, output);
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, FaultWorld.Limit, "the bootstrap");

        for (var i = 0; i < world.Consumers.Count; i++)
        {
            var faults = new ProbeFaults(FaultWorld.Probability, seed + i, [ProbeFault.Unavailable, ProbeFault.Hang, ProbeFault.Garbage], TimeSpan.FromSeconds(5));
            probes.Add(faults);
            world.Consumers[i].ProbeFaults = faults;
        }

        await world.WaitForRotationsAsync(Rotations, FaultWorld.Limit);
        foreach (var consumer in world.Consumers)
        {
            consumer.ProbeFaults = null;
        }

        await audit.StopAsync();

        output.WriteLine($"{name}: {probes.Sum(p => p.Answered)} probe answers, {probes.Sum(p => p.InjectedOf(ProbeFault.Unavailable))} 503, " +
            $"{probes.Sum(p => p.InjectedOf(ProbeFault.Hang))} hangs, {probes.Sum(p => p.InjectedOf(ProbeFault.Garbage))} garbage");
        audit.Print(name);
        audit.AssertSafe();
    }
}

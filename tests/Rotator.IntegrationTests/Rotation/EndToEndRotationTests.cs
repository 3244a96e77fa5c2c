using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Rotator.Client;
using Rotator.Consumers.Http;
using Rotator.Cli;
using Rotator.Demo;
using Rotator.Rotation;

namespace Rotator.IntegrationTests.Rotation;

/// <summary>Full rotations through the real Azure SDK, the local vault over HTTPS and real HTTP between every part.</summary>
public sealed class EndToEndRotationTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task VendorKey_RotatesTwice_WithEveryInvariantHeldAfterEveryChangeAndNoFailedRequest()
    {
        await using var world = await RotationWorld.StartAsync(new WorldOptions());

        await world.WaitForRotationsAsync(2, Limit);

        Assert.Empty(world.Invariants.Violations);
        Assert.True(world.Invariants.Checks > 10, $"only {world.Invariants.Checks} checks ran");
        Assert.Equal(0, world.FailedRequests);
        Assert.True(world.Requests > 50, $"only {world.Requests} consumer requests");
        Assert.Equal(0, world.Vendor!.RejectedCalls);
        var keys = world.Vendor.Keys(DemoCommand.Account);
        Assert.Single(keys, k => !k.Revoked);
        Assert.True(keys.Count(k => k.Revoked) >= 2);
        Secrets.AssertAbsent(world.KeysInVault, world.Logs.Text);
    }

    [Fact]
    public async Task GeneratedKey_RotatesTwice_VerifiersAcceptEveryKeyBeforeAnyCallerSendsIt()
    {
        await using var world = await RotationWorld.StartAsync(new WorldOptions { Generated = true });

        await world.WaitForRotationsAsync(2, Limit);

        Assert.Empty(world.Invariants.Violations);
        Assert.Equal(0, world.FailedRequests);
        Assert.Equal(0, world.Verifier!.RejectedCalls);
        Assert.True(world.Verifier.AcceptedCalls > 50);
        var current = (await world.Secrets.GetSecretAsync(DemoCommand.Secret)).Value.Value;
        Assert.StartsWith("sk_live_", current, StringComparison.Ordinal);
        var accepted = AcceptedKeys.Parse((await world.Secrets.GetSecretAsync(DemoCommand.Secret + "-accepted")).Value.Value);
        Assert.Equal([Fingerprint.Of(current)], accepted.Accept.Select(a => a.Fingerprint));
        Assert.DoesNotContain(current, (await world.Secrets.GetSecretAsync(DemoCommand.Secret + "-accepted")).Value.Value, StringComparison.Ordinal);
        Secrets.AssertAbsent(world.KeysInVault, world.Logs.Text);
    }

    [Fact]
    public async Task ConsumerThatNeverRefreshes_EndsStalledWithTheOldKeyActiveAndNoFailedRequest()
    {
        await using var world = await RotationWorld.StartAsync(new WorldOptions
        {
            Consumers = [TimeSpan.FromMilliseconds(200), null],
            Configure = c => c["Rotator:Keys:0:Rollout:Timeout"] = "00:00:03",
        });

        // Bootstrap: the never-refreshing consumer reads the first key once the vault has it.
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, Limit, "the bootstrap");
        var stalled = await world.WaitForAsync(r => r.Phase == Phase.Stalled, Limit, "a stalled rotation");

        var keys = world.Vendor!.Keys(DemoCommand.Account);
        var stuck = world.Consumers[1];
        Assert.Contains(keys, k => !k.Revoked && k.Fingerprint == stuck.SentFingerprint);
        Assert.DoesNotContain(keys, k => k.Revoked);
        Assert.Equal(0, world.FailedRequests);
        Assert.Empty(world.Invariants.Violations);
        Assert.NotNull(stalled.RunAgainAt);
        Assert.Contains(world.Logs.Lines, l => l.Contains("stalled", StringComparison.Ordinal) && l.Contains(stuck.SentFingerprint!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConsumerNameWithZeroAddresses_KeepsTheRotationWaitingAndRevokesNothing()
    {
        await using var world = await RotationWorld.StartAsync(new WorldOptions
        {
            Configure = c =>
            {
                c["Rotator:Keys:0:Consumers:3:Url"] = "http://billing.nowhere.test:8080/rotator/key";
                c["Serilog:MinimumLevel:Default"] = "Debug";
            },
            Services = s => s.AddSingleton<IAddressResolver>(new ZeroForNowhere()),
        });

        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap } || r.Phase == Phase.RollingOut, Limit, "a rollout");
        var polls = 0;
        await world.WaitForAsync(r => r.Phase == Phase.RollingOut && ++polls >= 20, Limit, "twenty polls");

        Assert.DoesNotContain(world.Vendor!.Keys(DemoCommand.Account), k => k.Revoked);
        Assert.Equal(0, world.FailedRequests);
        Assert.Contains(world.Logs.Lines, l => l.Contains("billing.nowhere.test", StringComparison.Ordinal) && l.Contains("fewer than minAddresses", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(VendorFault.Garbage)]
    [InlineData(VendorFault.Unavailable)]
    [InlineData(VendorFault.CommitThenFail)]
    [InlineData(VendorFault.CommitThenAbort)]
    public async Task IssuerAnsweringBadly_LeavesTheOldKeyWorkingAndTheRotationCompletesLater(VendorFault fault)
    {
        await using var world = await RotationWorld.StartAsync(new WorldOptions());
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, Limit, "the bootstrap");

        world.Vendor!.Faults.Inject(VendorOperation.Create, fault, count: 2);
        await world.WaitForRotationsAsync(1, Limit);

        Assert.Empty(world.Invariants.Violations);
        Assert.Equal(0, world.FailedRequests);
        Assert.Single(world.Vendor.Keys(DemoCommand.Account), k => !k.Revoked);
        Assert.Contains(world.Logs.Lines, l => l.Contains("failed (attempt", StringComparison.Ordinal));
        Secrets.AssertAbsent(world.KeysInVault, world.Logs.Text);
    }

    [Fact]
    public async Task IssuerThatTimesOut_IsRetriedWithoutDuplicatesAndCompletes()
    {
        await using var world = await RotationWorld.StartAsync(new WorldOptions
        {
            Configure = c => c["Rotator:Keys:0:Issuer:Http:Timeout"] = "00:00:00.300",
        });
        await world.WaitForAsync(r => r.Completed is { Trigger: RotationTrigger.Bootstrap }, Limit, "the bootstrap");

        world.Vendor!.Faults.Delay = TimeSpan.FromSeconds(1);
        await world.WaitForAsync(r => r.Error is not null, Limit, "a failed step");
        world.Vendor.Faults.Delay = TimeSpan.Zero;
        await world.WaitForRotationsAsync(1, Limit);

        Assert.Empty(world.Invariants.Violations);
        Assert.Equal(0, world.FailedRequests);
        Assert.Single(world.Vendor.Keys(DemoCommand.Account), k => !k.Revoked);
    }

    /// <summary>A DNS that knows no address for one name and passes the rest through.</summary>
    private sealed class ZeroForNowhere : IAddressResolver
    {
        private readonly DnsAddressResolver dns = new();

        public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) =>
            host.EndsWith(".nowhere.test", StringComparison.Ordinal) ? Task.FromResult<IReadOnlyList<IPAddress>>([]) : dns.ResolveAsync(host, cancellationToken);
    }
}

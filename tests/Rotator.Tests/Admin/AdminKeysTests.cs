using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Rotator.Admin;
using Rotator.Client;
using Rotator.Configuration;
using Rotator.Consumers;
using Rotator.Rotation;
using Rotator.Tests.Fakes;
using Rotator.Vault;

namespace Rotator.Tests.Admin;

/// <summary>The admin keys as managed keys: derivation, the accepted-hash cache, the in-process probes and the seed.</summary>
public sealed class AdminKeysTests
{
    private const string OpsKey = "ops-key-0123456789-0123456789-0123456789";
    private const string ViewKey = "view-key-0123456789-0123456789-012345678";

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryVault vault;
    private readonly RotatorOptions options;

    public AdminKeysTests()
    {
        vault = new InMemoryVault(time);
        options = new RotatorOptions
        {
            Admin = new AdminOptions
            {
                RefreshInterval = TimeSpan.FromSeconds(10),
                Keys =
                [
                    new AdminKeyOptions { Name = "ops", Role = AdminRole.Operator, Secret = "rotator-admin-ops" },
                    new AdminKeyOptions { Name = "view", Role = AdminRole.Viewer, Secret = "rotator-admin-view" },
                ],
            },
        };
        new AdminKeyDerivation().PostConfigure(null, options);
    }

    private AdminKeyCache Cache() => new(vault, new TestOptionsMonitor<RotatorOptions>(options), time, NullLogger<AdminKeyCache>.Instance);

    private async Task AcceptAsync(string secret, params string[] keys) =>
        await vault.SetAsync(SecretNames.Accepted(secret), new AcceptedKeys(1, [.. keys.Select(k => AcceptedKeys.Entry(k, "r1"))]).ToJson(), new Dictionary<string, string>(), null, default);

    [Fact]
    public void PostConfigure_AppendsAGeneratedManagedKeyPerAdminKey_WithTheWorkerAsItsProbes()
    {
        var ops = Assert.Single(options.Keys, k => k.Name == "admin-ops");

        Assert.True(AdminKeys.IsDerived(ops));
        Assert.Same(options.Admin.Keys[0], AdminKeys.AdminOf(ops));
        Assert.Equal("rotator-admin-ops", ops.Secret);
        Assert.True(ops.Bootstrap);
        Assert.Equal(IssuerType.Generated, ops.Issuer.Kind);
        Assert.Same(options.Admin.Keys[0].Schedule, ops.Schedule);
        Assert.Equal(("ops", AdminKeys.CallersPath), AdminKeys.ParseSelf(Assert.Single(ops.Consumers)));
        Assert.Equal(("ops", AdminKeys.VerifierPath), AdminKeys.ParseSelf(Assert.Single(ops.Verifiers)));
    }

    [Fact]
    public void IsDerived_ACopyOfTheOptions_StillRecognised()
    {
        var copy = System.Text.Json.JsonSerializer.Deserialize<ManagedKeyOptions>(System.Text.Json.JsonSerializer.Serialize(options.Keys[0]))!;

        Assert.True(AdminKeys.IsDerived(copy));
        Assert.False(AdminKeys.IsDerived(new ManagedKeyOptions { Name = "billing", Consumers = [new ProbeOptions { Url = new Uri("http://billing.svc/rotator/key") }] }));
    }

    [Fact]
    public void PostConfigure_Twice_AddsNothingMore()
    {
        new AdminKeyDerivation().PostConfigure(null, options);

        Assert.Equal(2, options.Keys.Count);
    }

    [Fact]
    public async Task AuthenticateAsync_KeyWhoseHashIsAccepted_IsThatAdminKey()
    {
        await AcceptAsync("rotator-admin-ops", OpsKey);
        await AcceptAsync("rotator-admin-view", ViewKey, "view-next-0123456789-0123456789-01234567");
        var cache = Cache();
        await cache.RefreshAsync(default);

        Assert.Equal("ops", (await cache.AuthenticateAsync(OpsKey, default))?.Name);
        Assert.Equal("view", (await cache.AuthenticateAsync(ViewKey, default))?.Name);
        Assert.Equal("view", cache.Match("view-next-0123456789-0123456789-01234567")?.Name);
        Assert.Null(cache.Match(OpsKey + "x"));
        Assert.Null(cache.Match(""));
    }

    [Fact]
    public async Task AuthenticateAsync_Miss_ReadsTheVaultAgainAtMostOncePerInterval()
    {
        var cache = Cache();
        await cache.RefreshAsync(default);
        Assert.Null(await cache.AuthenticateAsync("wrong-0123456789", default));
        await AcceptAsync("rotator-admin-ops", OpsKey);

        // The miss just now used this interval's look: the new hash is not seen yet.
        Assert.Null(await cache.AuthenticateAsync(OpsKey, default));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("ops", (await cache.AuthenticateAsync(OpsKey, default))?.Name);
    }

    [Fact]
    public async Task RefreshAsync_VaultFails_KeepsTheHashesReadBefore()
    {
        await AcceptAsync("rotator-admin-ops", OpsKey);
        var cache = Cache();
        await cache.RefreshAsync(default);
        var loaded = cache.LoadedAt;
        time.Advance(TimeSpan.FromSeconds(30));
        vault.FailNext.Add(("get", SecretNames.Accepted("rotator-admin-ops"), VaultFailure.Transient));

        await cache.RefreshAsync(default);

        Assert.Equal("ops", cache.Match(OpsKey)?.Name);
        Assert.Equal(loaded, cache.LoadedAt);
    }

    [Fact]
    public async Task RefreshAsync_HashRemoved_KeyNoLongerAccepted()
    {
        await AcceptAsync("rotator-admin-ops", OpsKey);
        var cache = Cache();
        await cache.RefreshAsync(default);
        await vault.SetAsync(SecretNames.Accepted("rotator-admin-ops"), AcceptedKeys.Empty.ToJson(), new Dictionary<string, string>(), null, default);

        await cache.RefreshAsync(default);

        Assert.Null(cache.Match(OpsKey));
        Assert.Empty(cache.AcceptedFingerprints("ops"));
    }

    [Fact]
    public async Task RefreshAsync_NotAnAcceptedKeysDocument_KeepsWhatWasAccepted()
    {
        await AcceptAsync("rotator-admin-ops", OpsKey);
        var cache = Cache();
        await cache.RefreshAsync(default);
        await vault.SetAsync(SecretNames.Accepted("rotator-admin-ops"), """{"v":1,"accept":[{"sha256":"zz","fingerprint":"x","rotation":"r"}]}""", new Dictionary<string, string>(), null, default);

        await cache.RefreshAsync(default);

        Assert.Equal("ops", cache.Match(OpsKey)?.Name);
    }

    [Fact]
    public async Task SelfProbe_Verifier_ReportsWhatTheCacheAccepts_NotWhatTheVaultHoldsSinceItsLastRead()
    {
        await AcceptAsync("rotator-admin-ops", OpsKey);
        var cache = Cache();
        var probe = new AdminSelfProbe(new FakeProbe(), cache, vault, new TestOptionsMonitor<RotatorOptions>(options));
        var verifiers = options.Keys[0].Verifiers;

        var before = Assert.Single(await probe.PollAsync(verifiers, ProbeRole.Verifier, default));
        await cache.RefreshAsync(default);
        await AcceptAsync("rotator-admin-ops", OpsKey, "ops-next-0123456789-0123456789-0123456789");
        var after = Assert.Single(await probe.PollAsync(verifiers, ProbeRole.Verifier, default));

        Assert.False(before.Answered);
        Assert.Equal([Fingerprint.Of(OpsKey)], after.Fingerprints);
    }

    [Fact]
    public async Task SelfProbe_Callers_ReportTheVaultsLatestVersion()
    {
        var probe = new AdminSelfProbe(new FakeProbe(), Cache(), vault, new TestOptionsMonitor<RotatorOptions>(options));
        var consumers = options.Keys[0].Consumers;
        var empty = Assert.Single(await probe.PollAsync(consumers, ProbeRole.Consumer, default));
        await vault.SetAsync("rotator-admin-ops", OpsKey, new Dictionary<string, string>(), null, default);

        var observed = Assert.Single(await probe.PollAsync(consumers, ProbeRole.Consumer, default));

        Assert.False(empty.Answered);
        Assert.Equal([Fingerprint.Of(OpsKey)], observed.Fingerprints);
        Assert.True(Gate.Passes([observed], GateKind.CallersOnNew, Fingerprint.Of(OpsKey)));
    }

    [Fact]
    public async Task SelfProbe_OtherProbes_GoToTheInnerProbe()
    {
        var inner = new FakeProbe { Answer = _ => [new ProbeObservation("http://billing.svc/rotator/key", "10.0.0.1", ["0123456789abcdef"], null)] };
        var probe = new AdminSelfProbe(inner, Cache(), vault, new TestOptionsMonitor<RotatorOptions>(options));
        ProbeOptions[] probes = [new() { Url = new Uri("http://billing.svc/rotator/key") }, options.Keys[0].Consumers[0]];

        var observations = await probe.PollAsync(probes, ProbeRole.Consumer, default);

        Assert.Equal(2, observations.Count);
        Assert.Equal(1, inner.Polls);
    }

    [Fact]
    public async Task Seeder_EmptySecretWithASeed_AcceptsItThenStoresItAsACompletedFirstVersion()
    {
        options.Admin.Keys[0].Seed = OpsKey;
        var seeder = new AdminSeeder(vault, new TestOptionsMonitor<RotatorOptions>(options), time, NullLogger<AdminSeeder>.Instance);

        await seeder.StartAsync(default);

        Assert.Equal(["set rotator-admin-ops-accepted", "set rotator-admin-ops", "set rotator-admin-ops-rotator"], vault.Writes);
        var stored = vault.Latest("rotator-admin-ops")!;
        Assert.Equal(OpsKey, stored.Value);
        Assert.Equal(Fingerprint.Of(OpsKey), stored.Tags[VersionTags.Fingerprint]);
        Assert.Equal("seed", stored.Tags[VersionTags.Rotation]);
        Assert.Equal("1", stored.Tags[VersionTags.Sequence]);
        Assert.True(AcceptedKeys.Parse(vault.Latest("rotator-admin-ops-accepted")!.Value!).Accepts(OpsKey));
        var record = ControlRecord.FromTags(vault.Latest("rotator-admin-ops-rotator")!.Tags);
        Assert.Equal((Phase.Completed, time.GetUtcNow()), (record.Phase, record.LastCompleted));
        Assert.Empty(vault.Versions("rotator-admin-view"));
    }

    [Fact]
    public async Task Seeder_SecretAlreadyHasAVersion_LeavesItAlone()
    {
        await vault.SetAsync("rotator-admin-ops", "current-0123456789-0123456789-0123456789", new Dictionary<string, string>(), null, default);
        options.Admin.Keys[0].Seed = OpsKey;
        var seeder = new AdminSeeder(vault, new TestOptionsMonitor<RotatorOptions>(options), time, NullLogger<AdminSeeder>.Instance);

        await seeder.StartAsync(default);

        Assert.Single(vault.Writes);
    }

    [Fact]
    public async Task Seeder_BootstrapInFlight_DoesNotRaceIt()
    {
        await vault.SetAsync("rotator-admin-ops-rotator", "staged", new ControlRecord { Phase = Phase.Minted, RotationId = "r1" }.ToTags(), null, default);
        options.Admin.Keys[0].Seed = OpsKey;
        var logger = new ListLogger<AdminSeeder>();
        var seeder = new AdminSeeder(vault, new TestOptionsMonitor<RotatorOptions>(options), time, logger);

        await seeder.StartAsync(default);

        Assert.Empty(vault.Versions("rotator-admin-ops"));
        Assert.Contains(logger.Lines, l => l.Contains("Minted", StringComparison.Ordinal));
        Assert.DoesNotContain(OpsKey, logger.Text, StringComparison.Ordinal);
    }
}

using Microsoft.Extensions.Time.Testing;
using Rotator.Client;
using Rotator.Configuration;
using Rotator.Issuers;
using Rotator.Rotation;
using Rotator.Tests.Fakes;

namespace Rotator.Tests.Rotation;

/// <summary>The executor over an in-memory vault, a fake vendor account and scripted consumers, on a fake clock.</summary>
internal sealed class ExecutorFixture
{
    public const string Secret = "billing-api-key";

    public ExecutorFixture(IssuerType type = IssuerType.Http, int maxActiveKeys = 2)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        Vault = new InMemoryVault(Time);
        Issuer = new FakeIssuer(maxActiveKeys);
        Key = new ManagedKeyOptions
        {
            Name = "billing",
            Secret = Secret,
            Schedule = new ScheduleOptions { Interval = TimeSpan.FromDays(30) },
            Rollout = new RolloutOptions
            {
                PollInterval = TimeSpan.FromSeconds(10),
                StableFor = TimeSpan.FromSeconds(30),
                Timeout = TimeSpan.FromMinutes(10),
                StalledPollInterval = TimeSpan.FromMinutes(1),
            },
            Issuer = new IssuerOptions { Type = type.ToString(), Http = new HttpIssuerOptions { Account = "acct", MaxActiveKeys = maxActiveKeys } },
            Consumers = [new ProbeOptions { Url = new Uri("http://billing.svc:8080/rotator/key") }],
            Verifiers = type == IssuerType.Generated ? [new ProbeOptions { Url = new Uri("http://api.svc:8080/rotator/accepts") }] : [],
        };
        Options = new RotatorOptions { Keys = [Key], LeaseCheckDelay = TimeSpan.Zero, Retry = new RetryOptions { MaxAttempts = 4, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30) } };
        Observer.Transitioned += Transitions.Add;
        Executor = NewExecutor();
    }

    public FakeTimeProvider Time { get; }

    public InMemoryVault Vault { get; }

    public FakeIssuer Issuer { get; }

    public FakeProbe Probe { get; } = new();

    public ManagedKeyOptions Key { get; }

    public RotatorOptions Options { get; }

    public ListLogger<RotationExecutor> Log { get; } = new();

    public RotationExecutor Executor { get; private set; }

    /// <summary>Every step the executors recorded, as the admin API, metrics and webhooks hear them.</summary>
    public List<RotationTransition> Transitions { get; } = [];

    private RotationObserver Observer { get; } = new();

    public List<string> KeysSeen { get; } = [];

    /// <summary>A new executor, as after a restart: nothing survives but the vault (and the gate timers are new).</summary>
    public RotationExecutor Restart() => Executor = NewExecutor();

    private RotationExecutor NewExecutor(RotatorOptions? options = null) => new(
        Vault,
        new StaticIssuerFactory(Issuer),
        Probe,
        new GateMemory(),
        Time,
        new TestOptionsMonitor<RotatorOptions>(options ?? Options),
        new WorkerIdentity(),
        Observer,
        Log);

    /// <summary>A second worker on the same vault, under another name.</summary>
    public RotationExecutor SecondWorker(string workerId) => NewExecutor(new RotatorOptions
    {
        Keys = Options.Keys,
        Retry = Options.Retry,
        LeaseCheckDelay = TimeSpan.Zero,
        WorkerId = workerId,
    });

    /// <summary>A key made by hand at the vendor and stored by hand in the vault: what adoption starts from.</summary>
    public string SeedCurrentKey()
    {
        var value = Issuer.Seed();
        KeysSeen.Add(value);
        Vault.SetAsync(Secret, value, new Dictionary<string, string>(), null, CancellationToken.None).GetAwaiter().GetResult();
        return value;
    }

    public string? LatestValue => Vault.Latest(Secret)?.Value;

    public string? LatestFingerprint => LatestValue is { } v ? Fingerprint.Of(v) : null;

    public ControlRecord Record => Vault.Latest(SecretNames.Control(Secret)) is { } c ? ControlRecord.FromTags(c.Tags) : new ControlRecord();

    /// <summary>Consumers report whatever the vault's latest version holds: they all refresh at once.</summary>
    public void ConsumersFollowTheVault(int replicas = 3) =>
        Probe.Answer = role => role == Rotator.Consumers.ProbeRole.Consumer && LatestFingerprint is { } fp ? FakeProbe.All(replicas, fp) : [];

    public Task<ExecutionResult> RunAsync(RunReason reason = RunReason.FollowUp) =>
        RunAsync(reason, reason == RunReason.Manual ? new OperatorRequest(OperatorAction.Rotate, "tester") : null);

    public Task<ExecutionResult> RequestAsync(OperatorAction action, Suspect suspect = Suspect.Old, string? reason = "testing", bool confirmed = false) =>
        RunAsync(RunReason.Manual, new OperatorRequest(action, "tester", reason, suspect, confirmed));

    public async Task<ExecutionResult> RunAsync(RunReason reason, OperatorRequest? request)
    {
        var result = await Executor.RunAsync(Key, reason, request, CancellationToken.None);
        if (LatestValue is { } value && !KeysSeen.Contains(value))
        {
            KeysSeen.Add(value);
        }

        return result;
    }

    /// <summary>Follows the executor's own follow-ups on the fake clock until it rests or the bound is hit.</summary>
    public async Task<ExecutionResult> FollowAsync(ExecutionResult result, int maxRuns = 200)
    {
        for (var i = 0; i < maxRuns && result.RunAgainAs == RunReason.FollowUp && result.RunAgainAt is { } at; i++)
        {
            if (at > Time.GetUtcNow())
            {
                Time.SetUtcNow(at);
            }

            result = await RunAsync(RunReason.FollowUp);
        }

        return result;
    }

    /// <summary>Runs, then follows the executor's own follow-ups on the fake clock until it rests or the bound is hit.</summary>
    public async Task<ExecutionResult> RunUntilRestAsync(RunReason first = RunReason.Manual, int maxRuns = 200) =>
        await FollowAsync(await RunAsync(first), maxRuns);

    private sealed class StaticIssuerFactory(IKeyIssuer issuer) : IIssuerFactory
    {
        public IKeyIssuer Create(ManagedKeyOptions key) => issuer;
    }
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Rotator.Configuration;
using Rotator.Rotation;

namespace Rotator.Telemetry;

/// <summary>
/// Rotator's instruments, on the meter <see cref="MeterName"/>. Tags carry key names, phases, outcomes and operations,
/// never a key. The Prometheus names they become (dots to underscores, units and <c>_total</c> appended) are checked by
/// the telemetry integration test against a real scrape.
/// </summary>
internal sealed class RotatorMetrics : IDisposable
{
    public const string MeterName = "Rotator";

    /// <summary>Rotations take minutes to days: buckets in seconds from a second to a week.</summary>
    private static readonly double[] DurationBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400, 259200, 604800];

    private readonly Meter meter;
    private readonly KeyStates states;
    private readonly IOptionsMonitor<RotatorOptions> options;
    private readonly TimeProvider time;

    public RotatorMetrics(IMeterFactory meters, KeyStates states, IOptionsMonitor<RotatorOptions> options, TimeProvider time)
    {
        this.states = states;
        this.options = options;
        this.time = time;
        Vault = new VaultHealth(time);
        meter = meters.Create(MeterName);
        VaultOperations = meter.CreateCounter<long>("rotator.vault.operations", description: "Calls to the vault, by operation (get, list, set, update).");
        IssuerRequests = meter.CreateCounter<long>("rotator.issuer.requests", description: "HTTP requests to vendor key-management APIs, by method.");
        Rotations = meter.CreateCounter<long>("rotator.rotations", description: "Rotation outcomes, by key and outcome (completed, stalled, failed, needs_attention, aborted, emergency).");
        RotationDuration = meter.CreateHistogram<double>(
            "rotator.rotation.duration",
            unit: "s",
            description: "Time from a rotation's start to its completion, by key.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        WebhookDeliveries = meter.CreateCounter<long>("rotator.webhook.deliveries", description: "Webhook notifications, by event and outcome (delivered, failed).");
        WebhookDropped = meter.CreateCounter<long>("rotator.webhook.dropped", description: "Webhook notifications dropped because the queue was full, by event.");
        meter.CreateObservableGauge("rotator.key.age", () => KeyGauges.Ages(states.All, time.GetUtcNow()), unit: "s", description: "Age of each key's current version (now minus its creation time).");
        meter.CreateObservableGauge("rotator.key.max_age", () => KeyGauges.MaxAges(this.options.CurrentValue), unit: "s", description: "The configured Schedule.MaxAge of each key that has one.");
        meter.CreateObservableGauge("rotator.key.last_completed.timestamp", () => KeyGauges.LastCompleted(states.All), unit: "s", description: "Unix time of each key's last completed rotation.");
        meter.CreateObservableGauge("rotator.consumers.not_switched", () => KeyGauges.NotSwitched(states.All), description: "Consumer addresses not yet on the new key, per key; 0 when no rollout waits.");
        meter.CreateObservableGauge("rotator.keys", () => KeyGauges.Phases(states.All), description: "Keys in each phase; every phase is reported, zeros included.");
        meter.CreateObservableGauge("rotator.vault.reachable", () => Vault.Reachable, description: "1 when the last vault call got an answer, 0 when it failed transiently (unreachable, timed out, throttled, 5xx).");
        meter.CreateObservableGauge("rotator.vault.last_success.timestamp", () => Vault.LastSuccess, unit: "s", description: "Unix time of the last vault call that got an answer.");
    }

    public Counter<long> VaultOperations { get; }

    public Counter<long> IssuerRequests { get; }

    public Counter<long> Rotations { get; }

    public Histogram<double> RotationDuration { get; }

    public Counter<long> WebhookDeliveries { get; }

    public Counter<long> WebhookDropped { get; }

    /// <summary>What the vault's answers say about its reachability.</summary>
    public VaultHealth Vault { get; }

    /// <summary>The meter this host's instruments live on: several hosts in one process each have their own.</summary>
    public Meter Meter => meter;

    public void Dispose() => meter.Dispose();
}

/// <summary>The last vault call's fate, for the reachability gauges. Updated from every call through <see cref="CountingVault"/>.</summary>
internal sealed class VaultHealth(TimeProvider time)
{
    private int reachable = -1;
    private long lastSuccessTicks;

    /// <summary>Nothing before the first call: an unknown state is not an outage.</summary>
    public IEnumerable<Measurement<int>> Reachable => Volatile.Read(ref reachable) is var r and >= 0 ? [new Measurement<int>(r)] : [];

    public IEnumerable<Measurement<double>> LastSuccess => Interlocked.Read(ref lastSuccessTicks) is var t and > 0
        ? [new Measurement<double>((new DateTimeOffset(t, TimeSpan.Zero) - DateTimeOffset.UnixEpoch).TotalSeconds)]
        : [];

    public void Succeeded()
    {
        Volatile.Write(ref reachable, 1);
        Interlocked.Exchange(ref lastSuccessTicks, time.GetUtcNow().UtcTicks);
    }

    public void Failed() => Volatile.Write(ref reachable, 0);
}

/// <summary>Counts the requests a named HttpClient sends.</summary>
internal sealed class CountingHandler(RotatorMetrics metrics) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        metrics.IssuerRequests.Add(1, new KeyValuePair<string, object?>("method", request.Method.Method));
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Counts vault calls around the real vault, and notes whether each got an answer.</summary>
internal sealed class CountingVault(Vault.IVault inner, RotatorMetrics metrics) : Vault.IVault
{
    public Task<Vault.StoredSecret?> GetAsync(string name, string? version, CancellationToken cancellationToken) =>
        TrackAsync("get", () => inner.GetAsync(name, version, cancellationToken));

    public Task<IReadOnlyList<Vault.StoredSecret>> ListVersionsAsync(string name, CancellationToken cancellationToken) =>
        TrackAsync("list", () => inner.ListVersionsAsync(name, cancellationToken));

    public Task<Vault.StoredSecret> SetAsync(string name, string value, IReadOnlyDictionary<string, string> tags, DateTimeOffset? expiresOn, CancellationToken cancellationToken) =>
        TrackAsync("set", () => inner.SetAsync(name, value, tags, expiresOn, cancellationToken));

    public Task UpdateTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken) =>
        TrackAsync("update", async () =>
        {
            await inner.UpdateTagsAsync(name, version, tags, cancellationToken);
            return true;
        });

    public Task<bool> IsDeletedAsync(string name, CancellationToken cancellationToken) =>
        TrackAsync("get-deleted", () => inner.IsDeletedAsync(name, cancellationToken));

    private async Task<T> TrackAsync<T>(string operation, Func<Task<T>> call)
    {
        metrics.VaultOperations.Add(1, new KeyValuePair<string, object?>("operation", operation));
        try
        {
            var result = await call();
            metrics.Vault.Succeeded();
            return result;
        }
        catch (Vault.VaultException e) when (e.Failure != Vault.VaultFailure.Transient)
        {
            // Refused, disabled or deleted: the vault answered, so it is reachable.
            metrics.Vault.Succeeded();
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            metrics.Vault.Failed();
            throw;
        }
    }
}

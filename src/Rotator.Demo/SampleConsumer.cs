using System.Net;
using System.Text.Json;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rotator.Client;

namespace Rotator.Demo;

/// <summary>
/// One replica of a service that reads its API key from the vault, refreshes it on its own interval,
/// calls the vendor with it, and reports on its probe endpoint which key it last sent.
/// </summary>
public sealed partial class SampleConsumer : IAsyncDisposable
{
    public const string ProbePath = "/rotator/key";

    private readonly Func<CancellationToken, Task<(string Version, string Value)>> readLatest;
    private readonly Uri creditsUri;
    private readonly TimeSpan refreshInterval;
    private readonly TimeSpan callInterval;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly HttpClient http;
    private readonly SemaphoreSlim readGate = new(1, 1);
    private volatile HeldKey? held;
    private volatile string? sentFingerprint;
    private long requests;
    private long failedRequests;
    private long vaultReads;
    private WebApplication? probe;
    private ProbeFaults? probeFaults;
    private CancellationTokenSource? stopping;
    private Task? loops;

    /// <summary>Reads the latest version of <paramref name="secretName"/> through a caller-configured <see cref="SecretClient"/>.</summary>
    public SampleConsumer(
        string name,
        SecretClient secrets,
        string secretName,
        Uri vendorBaseUri,
        TimeSpan refreshInterval,
        TimeSpan callInterval,
        TimeProvider time,
        ILogger logger)
        : this(name, ReadFrom(secrets, secretName), vendorBaseUri, refreshInterval, callInterval, time, logger)
    {
    }

    /// <summary>Reads the latest key through <paramref name="readLatest"/>: (vault version, key value).</summary>
    public SampleConsumer(
        string name,
        Func<CancellationToken, Task<(string Version, string Value)>> readLatest,
        Uri vendorBaseUri,
        TimeSpan refreshInterval,
        TimeSpan callInterval,
        TimeProvider time,
        ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(readLatest);
        ArgumentNullException.ThrowIfNull(vendorBaseUri);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(refreshInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(callInterval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        Name = name;
        this.readLatest = readLatest;
        creditsUri = new Uri(vendorBaseUri, "v1/account/credits");
        this.refreshInterval = refreshInterval;
        this.callInterval = callInterval;
        this.time = time;
        this.logger = logger;
        http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public string Name { get; }

    /// <summary>Reads the key once at start and never again, like a service that takes it from an environment variable.</summary>
    public bool NeverRefresh { get; init; }

    /// <summary>
    /// Makes the probe endpoint misbehave now and then (503, a hang, a body that is not the contract), like a replica
    /// that flaps. Null for a probe that always answers. Switchable while running.
    /// </summary>
    public ProbeFaults? ProbeFaults
    {
        get => Volatile.Read(ref probeFaults);
        set => Volatile.Write(ref probeFaults, value);
    }

    /// <summary>The probe endpoint, <c>GET /rotator/key</c>; set once started.</summary>
    public Uri ProbeUri { get; private set; } = null!;

    /// <summary>Data calls sent, retries included.</summary>
    public long Requests => Interlocked.Read(ref requests);

    /// <summary>Data calls that did not succeed; a 401 counts even when the retry with a fresh key works.</summary>
    public long FailedRequests => Interlocked.Read(ref failedRequests);

    /// <summary>Vault reads attempted, failed ones included.</summary>
    public long VaultReads => Interlocked.Read(ref vaultReads);

    /// <summary>Fingerprint of the key it holds.</summary>
    public string? LoadedFingerprint => held?.Fingerprint;

    /// <summary>Vault version of the key it holds.</summary>
    public string? LoadedVersion => held?.Version;

    /// <summary>Fingerprint of the key it last sent.</summary>
    public string? SentFingerprint => sentFingerprint;

    /// <summary>What the probe endpoint answers.</summary>
    public ConsumerReport Report()
    {
        var current = held;
        return new ConsumerReport(sentFingerprint, current?.Fingerprint, current?.Version);
    }

    /// <summary>Starts the probe endpoint, reads the key once, then refreshes and calls on their intervals.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (probe is not null)
        {
            throw new InvalidOperationException($"Consumer '{Name}' is already started.");
        }

        var (web, address) = await LoopbackServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), AnswerProbeAsync, ct);
        probe = web;
        ProbeUri = new Uri(address, ProbePath);
        LogStarted(logger, Name, ProbeUri);

        await RefreshAsync(ct);
        stopping = new CancellationTokenSource();
        loops = Task.WhenAll(RefreshLoopAsync(stopping.Token), CallLoopAsync(stopping.Token));
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled, then stops.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        await StartAsync(ct);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Asked to stop.
        }
        finally
        {
            await StopAsync(CancellationToken.None);
        }
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (stopping is { } cts)
        {
            await cts.CancelAsync();
            await loops!.WaitAsync(ct);
            cts.Dispose();
            stopping = null;
            loops = null;
        }

        if (Interlocked.Exchange(ref probe, null) is { } web)
        {
            await LoopbackServer.StopAsync(web, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        http.Dispose();
        readGate.Dispose();
    }

    /// <summary>Reads the latest version from the vault; on failure keeps the key it holds. True when the read worked.</summary>
    public async Task<bool> RefreshAsync(CancellationToken ct)
    {
        await readGate.WaitAsync(ct);
        try
        {
            Interlocked.Increment(ref vaultReads);
            var (version, value) = await readLatest(ct);
            var previous = held;
            if (previous is null || previous.Version != version || previous.Value != value)
            {
                var next = new HeldKey(version, value, Fingerprint.Of(value));
                held = next;
                LogLoaded(logger, Name, next.Version, next.Fingerprint);
            }

            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Only the type: a message may quote a response, and a response may hold a key.
            LogVaultReadFailed(logger, Name, ex.GetType().Name);
            return false;
        }
        finally
        {
            readGate.Release();
        }
    }

    /// <summary>
    /// Sends one data call with the key it holds. On a 401 it re-reads the vault once and, if that gave another
    /// key, retries once with it, as real clients do. True when a call succeeded.
    /// </summary>
    public async Task<bool> CallOnceAsync(CancellationToken ct)
    {
        var key = held;
        if (key is null)
        {
            return false;
        }

        var status = await SendAsync(key, ct);
        if (status == HttpStatusCode.OK)
        {
            return true;
        }

        if (status != HttpStatusCode.Unauthorized || NeverRefresh)
        {
            return false;
        }

        LogRejectedRereading(logger, Name, key.Fingerprint);
        await RefreshAsync(ct);
        var fresh = held;
        if (fresh is null || fresh.Fingerprint == key.Fingerprint)
        {
            return false;
        }

        return await SendAsync(fresh, ct) == HttpStatusCode.OK;
    }

    private async Task<HttpStatusCode?> SendAsync(HeldKey key, CancellationToken ct)
    {
        Interlocked.Increment(ref requests);
        sentFingerprint = key.Fingerprint;
        HttpStatusCode? status = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, creditsUri);
            request.Headers.Add("X-Api-Key", key.Value);
            using var response = await http.SendAsync(request, ct);
            status = response.StatusCode;
        }
        catch (HttpRequestException ex)
        {
            LogCallError(logger, Name, key.Fingerprint, ex.GetType().Name);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            // The client's own timeout, not a stop.
            LogCallError(logger, Name, key.Fingerprint, ex.GetType().Name);
        }

        if (status != HttpStatusCode.OK)
        {
            Interlocked.Increment(ref failedRequests);
            if (status is { } code)
            {
                LogCallFailed(logger, Name, (int)code, key.Fingerprint);
            }
        }

        return status;
    }

    private async Task RefreshLoopAsync(CancellationToken ct)
    {
        try
        {
            // A consumer that never refreshes still retries until its first read worked: it has nothing to send before.
            while (!NeverRefresh || held is null)
            {
                await Task.Delay(refreshInterval, time, ct);
                await RefreshAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task CallLoopAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await CallOnceAsync(ct);
                await Task.Delay(callInterval, time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task AnswerProbeAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != ProbePath)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var faults = ProbeFaults;
        switch (faults?.Draw())
        {
            case ProbeFault.Unavailable:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            case ProbeFault.Garbage:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"fingerprint\":", context.RequestAborted);
                return;
            case ProbeFault.Hang:
                try
                {
                    // Longer than any prober waits; then the answer is the true one, which nobody reads any more.
                    await Task.Delay(faults!.Hang, time, context.RequestAborted);
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    return;
                }

                break;
        }

        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, Report(), cancellationToken: context.RequestAborted);
    }

    private static Func<CancellationToken, Task<(string Version, string Value)>> ReadFrom(SecretClient secrets, string secretName)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentException.ThrowIfNullOrEmpty(secretName);
        return async ct =>
        {
            KeyVaultSecret secret = await secrets.GetSecretAsync(secretName, cancellationToken: ct);
            return (secret.Properties.Version, secret.Value);
        };
    }

    private sealed record HeldKey(string Version, string Value, string Fingerprint)
    {
        // A record prints its members; this one must never print the key.
        public override string ToString() => $"{Version} ({Fingerprint})";
    }

    [LoggerMessage(101, LogLevel.Information, "Consumer {Name} probe listening on {ProbeUri}")]
    private static partial void LogStarted(ILogger logger, string name, Uri probeUri);

    [LoggerMessage(102, LogLevel.Information, "Consumer {Name} loaded version {Version} (fingerprint {Fingerprint})")]
    private static partial void LogLoaded(ILogger logger, string name, string version, string fingerprint);

    [LoggerMessage(103, LogLevel.Warning, "Consumer {Name} could not read the vault ({Error}); keeping the key it holds")]
    private static partial void LogVaultReadFailed(ILogger logger, string name, string error);

    [LoggerMessage(104, LogLevel.Warning, "Consumer {Name} got 401 with key {Fingerprint}; re-reading the vault")]
    private static partial void LogRejectedRereading(ILogger logger, string name, string fingerprint);

    [LoggerMessage(105, LogLevel.Warning, "Consumer {Name} call failed with {Status} (key {Fingerprint})")]
    private static partial void LogCallFailed(ILogger logger, string name, int status, string fingerprint);

    [LoggerMessage(106, LogLevel.Warning, "Consumer {Name} call with key {Fingerprint} failed: {Error}")]
    private static partial void LogCallError(ILogger logger, string name, string fingerprint, string error);
}

/// <summary>How a consumer's probe endpoint misbehaves.</summary>
public enum ProbeFault
{
    /// <summary>503 with no body.</summary>
    Unavailable,

    /// <summary>No answer for <see cref="ProbeFaults.Hang"/> (the prober times out), then the true answer.</summary>
    Hang,

    /// <summary>200 with a body that is not the probe contract.</summary>
    Garbage,
}

/// <summary>
/// Probe faults drawn from a seeded generator, so that a run with the same seed misbehaves the same way: each probe
/// answer is a fault with <see cref="Probability"/>, its kind chosen evenly from <see cref="Kinds"/>.
/// </summary>
public sealed class ProbeFaults
{
    private readonly Lock gate = new();
    private readonly Random random;
    private readonly int[] injected = new int[Enum.GetValues<ProbeFault>().Length];
    private int answered;

    public ProbeFaults(double probability, int seed, IReadOnlyList<ProbeFault> kinds, TimeSpan? hang = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probability, 0d);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1d);
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentOutOfRangeException.ThrowIfZero(kinds.Count);
        Probability = probability;
        Kinds = [.. kinds];
        Hang = hang ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Hang, TimeSpan.Zero);
        random = new Random(seed);
    }

    public double Probability { get; }

    public IReadOnlyList<ProbeFault> Kinds { get; }

    /// <summary>How long a <see cref="ProbeFault.Hang"/> holds the request before it answers.</summary>
    public TimeSpan Hang { get; }

    /// <summary>Probe requests that drew (fault or not).</summary>
    public int Answered
    {
        get { lock (gate) { return answered; } }
    }

    /// <summary>Faults injected so far, over all kinds.</summary>
    public int Injected
    {
        get { lock (gate) { return injected.Sum(); } }
    }

    /// <summary>Faults of one kind injected so far.</summary>
    public int InjectedOf(ProbeFault kind)
    {
        lock (gate)
        {
            return injected[(int)kind];
        }
    }

    /// <summary>The fault for the next probe answer, or null for a true answer.</summary>
    public ProbeFault? Draw()
    {
        lock (gate)
        {
            answered++;
            if (random.NextDouble() >= Probability)
            {
                return null;
            }

            var kind = Kinds[random.Next(Kinds.Count)];
            injected[(int)kind]++;
            return kind;
        }
    }
}

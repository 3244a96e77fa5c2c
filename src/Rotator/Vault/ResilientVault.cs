using Polly;
using Polly.Retry;
using Rotator.Configuration;

namespace Rotator.Vault;

/// <summary>
/// Retries the vault calls that are safe to repeat — reads and tag replacements — with exponential backoff, jitter,
/// a cap and the vault's own Retry-After. A <c>set</c> is never repeated here: it makes a new version every time, so
/// a failed one fails the step, and the next attempt looks for its version before writing again.
/// </summary>
internal sealed class ResilientVault : IVault
{
    private readonly IVault inner;
    private readonly ResiliencePipeline pipeline;

    public ResilientVault(IVault inner, RetryOptions retry, TimeProvider time)
    {
        this.inner = inner;
        pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<VaultException>(e => e.Failure == VaultFailure.Transient),
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is VaultException { RetryAfter: { } after } ? after : (TimeSpan?)null),
            })
            .Build();
    }

    public Task<StoredSecret?> GetAsync(string name, string? version, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(async ct => await inner.GetAsync(name, version, ct), cancellationToken).AsTask();

    public Task<IReadOnlyList<StoredSecret>> ListVersionsAsync(string name, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(async ct => await inner.ListVersionsAsync(name, ct), cancellationToken).AsTask();

    public Task<StoredSecret> SetAsync(string name, string value, IReadOnlyDictionary<string, string> tags, DateTimeOffset? expiresOn, CancellationToken cancellationToken) =>
        inner.SetAsync(name, value, tags, expiresOn, cancellationToken);

    public Task<bool> IsDeletedAsync(string name, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(async ct => await inner.IsDeletedAsync(name, ct), cancellationToken).AsTask();

    public Task UpdateTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(async ct => await inner.UpdateTagsAsync(name, version, tags, ct), cancellationToken).AsTask();
}

using System.Diagnostics.Metrics;

namespace Rotator.Telemetry;

/// <summary>Rotator's instruments. Tags carry names, operations and outcomes, never a key.</summary>
internal sealed class RotatorMetrics : IDisposable
{
    public const string MeterName = "Rotator";

    private readonly Meter meter;

    public RotatorMetrics(IMeterFactory meters)
    {
        meter = meters.Create(MeterName);
        VaultOperations = meter.CreateCounter<long>("rotator.vault.operations", description: "Calls to the vault, by operation (get, list, set, update).");
        IssuerRequests = meter.CreateCounter<long>("rotator.issuer.requests", description: "HTTP requests to vendor key-management APIs, by method.");
    }

    public Counter<long> VaultOperations { get; }

    public Counter<long> IssuerRequests { get; }

    public void Dispose() => meter.Dispose();
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

/// <summary>Counts vault calls around the real vault.</summary>
internal sealed class CountingVault(Vault.IVault inner, RotatorMetrics metrics) : Vault.IVault
{
    public Task<Vault.StoredSecret?> GetAsync(string name, string? version, CancellationToken cancellationToken)
    {
        Count("get");
        return inner.GetAsync(name, version, cancellationToken);
    }

    public Task<IReadOnlyList<Vault.StoredSecret>> ListVersionsAsync(string name, CancellationToken cancellationToken)
    {
        Count("list");
        return inner.ListVersionsAsync(name, cancellationToken);
    }

    public Task<Vault.StoredSecret> SetAsync(string name, string value, IReadOnlyDictionary<string, string> tags, DateTimeOffset? expiresOn, CancellationToken cancellationToken)
    {
        Count("set");
        return inner.SetAsync(name, value, tags, expiresOn, cancellationToken);
    }

    public Task UpdateTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        Count("update");
        return inner.UpdateTagsAsync(name, version, tags, cancellationToken);
    }

    public Task<bool> IsDeletedAsync(string name, CancellationToken cancellationToken)
    {
        Count("get-deleted");
        return inner.IsDeletedAsync(name, cancellationToken);
    }

    private void Count(string operation) => metrics.VaultOperations.Add(1, new KeyValuePair<string, object?>("operation", operation));
}

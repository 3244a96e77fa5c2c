using System.Text.Json;
using Microsoft.Extensions.Options;
using Rotator.Client;
using Rotator.Configuration;
using Rotator.Vault;

namespace Rotator.Admin;

/// <summary>
/// The hashes of the admin keys this worker accepts, read from each admin secret's <c>-accepted</c>: the worker is the
/// verifier of its own keys. Refreshed on an interval, and on a miss at most once per interval; a failed read keeps
/// what was accepted before, so a vault outage does not lock operators out.
/// </summary>
internal sealed partial class AdminKeyCache(IVault vault, IOptionsMonitor<RotatorOptions> options, TimeProvider time, ILogger<AdminKeyCache> logger)
{
    private readonly SemaphoreSlim refreshing = new(1, 1);
    private volatile Snapshot snapshot = new(new Dictionary<string, AcceptedKeys>(StringComparer.Ordinal), null);
    private DateTimeOffset? lastMissRefresh;

    /// <summary>When the accepted hashes were last read in full; null before the first read.</summary>
    public DateTimeOffset? LoadedAt => snapshot.LoadedAt;

    private AdminOptions Admin => options.CurrentValue.Admin;

    /// <summary>The admin key the presented value belongs to, or null. Every entry of every admin key is compared, in constant time.</summary>
    public AdminKeyOptions? Match(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var current = snapshot;
        AdminKeyOptions? found = null;
        foreach (var admin in Admin.Keys)
        {
            var accepted = current.Accepted.GetValueOrDefault(admin.Name) ?? AcceptedKeys.Empty;
            var matches = accepted.Accepts(presented);
            found ??= matches ? admin : null;
        }

        return found;
    }

    /// <summary>Like <see cref="Match"/>; a miss reads the vault again when that was not done within the refresh interval.</summary>
    public async Task<AdminKeyOptions?> AuthenticateAsync(string presented, CancellationToken cancellationToken)
    {
        if (Match(presented) is { } admin)
        {
            return admin;
        }

        if (!TakeMissRefresh())
        {
            return null;
        }

        await RefreshAsync(cancellationToken);
        return Match(presented);
    }

    /// <summary>The fingerprints this worker accepts for one admin key: what its in-process verifier probe reports.</summary>
    public IReadOnlyList<string> AcceptedFingerprints(string adminName) =>
        snapshot.Accepted.TryGetValue(adminName, out var accepted) ? [.. accepted.Accept.Select(a => a.Fingerprint).Distinct()] : [];

    /// <summary>Has the admin key's <c>-accepted</c> been read at least once?</summary>
    public bool Knows(string adminName) => snapshot.Accepted.ContainsKey(adminName);

    /// <summary>Reads every admin key's <c>-accepted</c>; one that cannot be read keeps its previous hashes.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await refreshing.WaitAsync(cancellationToken);
        try
        {
            var previous = snapshot.Accepted;
            var next = new Dictionary<string, AcceptedKeys>(StringComparer.Ordinal);
            var complete = true;
            foreach (var admin in Admin.Keys)
            {
                var read = await ReadAsync(admin, cancellationToken);
                if (read is not null)
                {
                    next[admin.Name] = read;
                }
                else
                {
                    complete = false;
                    if (previous.TryGetValue(admin.Name, out var kept))
                    {
                        next[admin.Name] = kept;
                    }
                }
            }

            snapshot = new Snapshot(next, complete ? time.GetUtcNow() : snapshot.LoadedAt);
        }
        finally
        {
            refreshing.Release();
        }
    }

    /// <summary>A miss may read the vault again only once per refresh interval: a stream of wrong keys must not become a stream of vault reads.</summary>
    private bool TakeMissRefresh()
    {
        var now = time.GetUtcNow();
        lock (refreshing)
        {
            if (lastMissRefresh is { } last && now - last < Admin.RefreshInterval)
            {
                return false;
            }

            lastMissRefresh = now;
            return true;
        }
    }

    private async Task<AcceptedKeys?> ReadAsync(AdminKeyOptions admin, CancellationToken cancellationToken)
    {
        var name = SecretNames.Accepted(admin.Secret);
        try
        {
            var secret = await vault.GetAsync(name, null, cancellationToken);
            var accepted = secret?.Value is { } json ? AcceptedKeys.Parse(json) : AcceptedKeys.Empty;
            if (accepted.Accept.Any(a => a?.Sha256 is not { Length: 64 } hash || !hash.All(char.IsAsciiHexDigit)))
            {
                throw new FormatException("an entry's sha256 is not 64 hex characters");
            }

            return accepted;
        }
        catch (VaultException e)
        {
            LogReadFailed(logger, admin.Name, name, e.Failure.ToString());
            return null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            LogReadFailed(logger, admin.Name, name, "not an accepted-keys document");
            return null;
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Warning, Message = "Admin key {AdminKey}: could not read '{Secret}' ({Why}); the hashes read before stay accepted")]
    private static partial void LogReadFailed(ILogger logger, string adminKey, string secret, string why);

    private sealed record Snapshot(IReadOnlyDictionary<string, AcceptedKeys> Accepted, DateTimeOffset? LoadedAt);
}

/// <summary>Re-reads the admin keys' accepted hashes every <see cref="AdminOptions.RefreshInterval"/>.</summary>
internal sealed partial class AdminKeyRefresher(AdminKeyCache cache, IOptionsMonitor<RotatorOptions> options, TimeProvider time, ILogger<AdminKeyRefresher> logger) : BackgroundService
{
    // The exception's message is left out on purpose: it could quote a secret's value.
    [LoggerMessage(EventId = 701, Level = LogLevel.Error, Message = "Admin keys: refreshing the accepted hashes failed unexpectedly ({Exception}); the hashes read before stay accepted")]
    private static partial void LogRefreshFailed(ILogger logger, string exception);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.CurrentValue.Admin.Keys.Count == 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await cache.RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A refresh that fails in a way nobody foresaw must not stop the worker: the hashes read before stay accepted.
                LogRefreshFailed(logger, e.GetType().FullName ?? e.GetType().Name);
            }

            await Task.Delay(options.CurrentValue.Admin.RefreshInterval, time, stoppingToken);
        }
    }
}

using Rotator.Vault;

namespace Rotator.Tests.Fakes;

/// <summary>A vault in memory with Key Vault's semantics that matter here: new version per set, latest by creation, PATCH replaces tags.</summary>
internal sealed class InMemoryVault(TimeProvider time) : IVault
{
    private readonly Dictionary<string, List<StoredSecret>> secrets = new(StringComparer.OrdinalIgnoreCase);
    private int counter;

    /// <summary>Fails the next calls whose operation ("get", "list", "set", "update") and secret match, with the given failure.</summary>
    public List<(string Operation, string? Secret, VaultFailure Failure)> FailNext { get; } = [];

    public List<string> Writes { get; } = [];

    public int Sets { get; private set; }

    public IReadOnlyList<StoredSecret> Versions(string name) => secrets.TryGetValue(name, out var v) ? v : [];

    public StoredSecret? Latest(string name) => Versions(name).LastOrDefault();

    public Task<StoredSecret?> GetAsync(string name, string? version, CancellationToken cancellationToken)
    {
        Fail("get", name);
        var versions = Versions(name);
        var found = version is null ? versions.LastOrDefault() : versions.FirstOrDefault(v => v.Version == version);
        if (found is { Enabled: false })
        {
            throw new VaultException(VaultFailure.Disabled, $"secret '{name}' is disabled");
        }

        return Task.FromResult(found);
    }

    public Task<IReadOnlyList<StoredSecret>> ListVersionsAsync(string name, CancellationToken cancellationToken)
    {
        Fail("list", name);
        return Task.FromResult<IReadOnlyList<StoredSecret>>([.. Versions(name).Select(v => v with { Value = null })]);
    }

    public Task<StoredSecret> SetAsync(string name, string value, IReadOnlyDictionary<string, string> tags, DateTimeOffset? expiresOn, CancellationToken cancellationToken)
    {
        Fail("set", name);
        var version = new StoredSecret(name, $"v{++counter:D4}", value, new Dictionary<string, string>(tags), true, time.GetUtcNow(), expiresOn);
        if (!secrets.TryGetValue(name, out var list))
        {
            secrets[name] = list = [];
        }

        list.Add(version);
        Sets++;
        Writes.Add($"set {name}");
        return Task.FromResult(version with { Value = null });
    }

    public Task UpdateTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        Fail("update", name);
        var list = secrets[name];
        var index = list.FindIndex(v => v.Version == version);
        list[index] = list[index] with { Tags = new Dictionary<string, string>(tags) };
        Writes.Add($"update {name}");
        return Task.CompletedTask;
    }

    public HashSet<string> Deleted { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Task<bool> IsDeletedAsync(string name, CancellationToken cancellationToken) => Task.FromResult(Deleted.Contains(name));

    public void Disable(string name, string version)
    {
        var list = secrets[name];
        var index = list.FindIndex(v => v.Version == version);
        list[index] = list[index] with { Enabled = false };
    }

    private void Fail(string operation, string name)
    {
        var index = FailNext.FindIndex(f => f.Operation == operation && (f.Secret is null || string.Equals(f.Secret, name, StringComparison.OrdinalIgnoreCase)));
        if (index >= 0)
        {
            var failure = FailNext[index].Failure;
            FailNext.RemoveAt(index);
            throw new VaultException(failure, $"injected {failure} on {operation} {name}");
        }
    }
}

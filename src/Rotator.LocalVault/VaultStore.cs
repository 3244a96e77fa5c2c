using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotator.LocalVault;

/// <summary>The vault's state: secrets, their versions, their soft-deleted state, and the file they persist to.</summary>
internal sealed class VaultStore
{
    /// <summary>How long a deleted secret stays recoverable before the vault purges it by itself.</summary>
    public const int RecoverableDays = 90;

    private const string FileName = "vault.json";

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    private readonly Lock _gate = new();
    private readonly Dictionary<string, StoredSecret> _secrets = new(StringComparer.Ordinal);
    private readonly string? _directory;
    private readonly TimeProvider _time;
    private long _sequence;

    private VaultStore(string? directory, TimeProvider time)
    {
        _directory = directory;
        _time = time;
    }

    public static VaultStore Open(string? directory, TimeProvider time)
    {
        var store = new VaultStore(directory, time);
        if (directory is null)
        {
            return store;
        }

        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return store;
        }

        var file = JsonSerializer.Deserialize<StoredFile>(File.ReadAllBytes(path), SerializerOptions)
            ?? throw new InvalidDataException($"{path} is empty.");
        store._sequence = file.Sequence;
        foreach (var secret in file.Secrets)
        {
            secret.Versions.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
            store._secrets[Normalize(secret.Name)] = secret;
            store._sequence = Math.Max(store._sequence, secret.Versions.Select(v => v.Sequence).DefaultIfEmpty(0).Max());
        }

        store.DropExpired();
        return store;
    }

    /// <summary>Names are case-insensitive; upper-casing with the invariant culture gives one key per name.</summary>
    public static string Normalize(string name) => name.ToUpperInvariant();

    public IReadOnlyCollection<string> SecretNames
    {
        get
        {
            lock (_gate)
            {
                DropExpired();
                return [.. _secrets.Values.Where(s => !s.IsDeleted).Select(s => s.Name).Order(StringComparer.Ordinal)];
            }
        }
    }

    public IReadOnlyCollection<string> DeletedSecretNames
    {
        get
        {
            lock (_gate)
            {
                DropExpired();
                return [.. _secrets.Values.Where(s => s.IsDeleted).Select(s => s.Name).Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Versions of the secrets that are not deleted.</summary>
    public IReadOnlyList<LocalVaultSecretVersion> Snapshot()
    {
        lock (_gate)
        {
            DropExpired();
            return [.. _secrets.Values
                .Where(s => !s.IsDeleted)
                .SelectMany(s => s.Versions.Select(v => ToPublic(s.Name, v)))
                .OrderBy(v => v.Sequence)];
        }
    }

    /// <summary>
    /// Adds a version and persists before returning, so an answered write is durable.
    /// Null when the name belongs to a deleted secret: it can only be recovered or purged.
    /// </summary>
    public (string Name, StoredVersion Version)? Add(string name, string value, string? contentType, AttributeChange attributes, Dictionary<string, string> tags)
    {
        lock (_gate)
        {
            DropExpired();
            var key = Normalize(name);
            if (_secrets.TryGetValue(key, out var existing) && existing.IsDeleted)
            {
                return null;
            }

            if (!_secrets.TryGetValue(key, out var secret))
            {
                secret = new StoredSecret { Name = name };
                _secrets[key] = secret;
            }

            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            string id;
            do
            {
                id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            }
            while (secret.Versions.Any(v => v.Id == id));

            var version = new StoredVersion
            {
                Id = id,
                Sequence = ++_sequence,
                Value = value,
                ContentType = contentType,
                Enabled = attributes.Enabled ?? true,
                NotBefore = attributes.NotBefore,
                ExpiresOn = attributes.ExpiresOn,
                Created = now,
                Updated = now,
                Tags = tags,
            };
            secret.Versions.Add(version);
            try
            {
                Persist();
            }
            catch
            {
                // An unpersisted write must not be visible either.
                secret.Versions.RemoveAt(secret.Versions.Count - 1);
                if (secret.Versions.Count == 0)
                {
                    _secrets.Remove(key);
                }

                throw;
            }

            return (secret.Name, version.Clone());
        }
    }

    /// <summary>Applies a PATCH: tags replaced when given, attributes merged field by field.</summary>
    public (string Name, StoredVersion Version)? Update(string name, string? version, string? contentType, AttributeChange attributes, Dictionary<string, string>? tags)
    {
        lock (_gate)
        {
            DropExpired();
            if (FindVersion(name, version) is not var (secret, stored))
            {
                return null;
            }

            var before = stored.Clone();
            if (contentType is not null)
            {
                stored.ContentType = contentType;
            }

            if (tags is not null)
            {
                stored.Tags = tags;
            }

            stored.Enabled = attributes.Enabled ?? stored.Enabled;
            stored.NotBefore = attributes.NotBefore ?? stored.NotBefore;
            stored.ExpiresOn = attributes.ExpiresOn ?? stored.ExpiresOn;
            stored.Updated = _time.GetUtcNow().ToUnixTimeSeconds();
            try
            {
                Persist();
            }
            catch
            {
                // An unpersisted write must not be visible either.
                secret.Versions[secret.Versions.IndexOf(stored)] = before;
                throw;
            }

            return (secret.Name, stored.Clone());
        }
    }

    /// <summary>A version by id, or the latest (highest sequence) when <paramref name="version"/> is empty.</summary>
    public (string Name, StoredVersion Version)? Get(string name, string? version)
    {
        lock (_gate)
        {
            DropExpired();
            return FindVersion(name, version) is var (secret, stored) ? (secret.Name, stored.Clone()) : null;
        }
    }

    /// <summary>
    /// Versions of one secret ordered by id (as Key Vault lists them), after <paramref name="after"/>;
    /// none for a secret that never existed, null for a deleted one.
    /// </summary>
    public (string Name, List<StoredVersion> Page, bool More)? ListVersions(string name, string? after, int max)
    {
        lock (_gate)
        {
            DropExpired();
            if (!_secrets.TryGetValue(Normalize(name), out var secret))
            {
                return (name, [], false);
            }

            if (secret.IsDeleted)
            {
                return null;
            }

            var rest = secret.Versions
                .Where(v => after is null || string.CompareOrdinal(v.Id, after) > 0)
                .OrderBy(v => v.Id, StringComparer.Ordinal)
                .ToList();
            return (secret.Name, [.. rest.Take(max).Select(v => v.Clone())], rest.Count > max);
        }
    }

    /// <summary>The latest version of each secret ordered by normalized name, after <paramref name="after"/>.</summary>
    public (List<(string Name, StoredVersion Version)> Page, bool More) ListSecrets(string? after, int max)
    {
        lock (_gate)
        {
            DropExpired();
            var rest = _secrets
                .Where(p => p.Value.Versions.Count > 0 && !p.Value.IsDeleted && (after is null || string.CompareOrdinal(p.Key, after) > 0))
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .ToList();
            return ([.. rest.Take(max).Select(p => (p.Value.Name, Latest(p.Value).Clone()))], rest.Count > max);
        }
    }

    /// <summary>Moves a secret with all its versions to the deleted state; null when there is no such (undeleted) secret.</summary>
    public DeletedEntry? Delete(string name)
    {
        lock (_gate)
        {
            DropExpired();
            if (!_secrets.TryGetValue(Normalize(name), out var secret) || secret.IsDeleted || secret.Versions.Count == 0)
            {
                return null;
            }

            var now = _time.GetUtcNow();
            secret.DeletedDate = now.ToUnixTimeSeconds();
            secret.ScheduledPurgeDate = now.AddDays(RecoverableDays).ToUnixTimeSeconds();
            try
            {
                Persist();
            }
            catch
            {
                // An unpersisted write must not be visible either.
                secret.DeletedDate = null;
                secret.ScheduledPurgeDate = null;
                throw;
            }

            return ToDeleted(secret);
        }
    }

    /// <summary>The deleted secret with its latest version; null when the name is not in the deleted state.</summary>
    public DeletedEntry? GetDeleted(string name)
    {
        lock (_gate)
        {
            DropExpired();
            return _secrets.TryGetValue(Normalize(name), out var secret) && secret.IsDeleted ? ToDeleted(secret) : null;
        }
    }

    /// <summary>Deleted secrets ordered by normalized name, after <paramref name="after"/>.</summary>
    public (List<DeletedEntry> Page, bool More) ListDeleted(string? after, int max)
    {
        lock (_gate)
        {
            DropExpired();
            var rest = _secrets
                .Where(p => p.Value.IsDeleted && (after is null || string.CompareOrdinal(p.Key, after) > 0))
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .ToList();
            return ([.. rest.Take(max).Select(p => ToDeleted(p.Value))], rest.Count > max);
        }
    }

    /// <summary>Brings a deleted secret back with all its versions; the latest version, or null when the name is not deleted.</summary>
    public (string Name, StoredVersion Version)? Recover(string name)
    {
        lock (_gate)
        {
            DropExpired();
            if (!_secrets.TryGetValue(Normalize(name), out var secret) || !secret.IsDeleted)
            {
                return null;
            }

            var (deletedDate, scheduledPurgeDate) = (secret.DeletedDate, secret.ScheduledPurgeDate);
            secret.DeletedDate = null;
            secret.ScheduledPurgeDate = null;
            try
            {
                Persist();
            }
            catch
            {
                // An unpersisted write must not be visible either.
                secret.DeletedDate = deletedDate;
                secret.ScheduledPurgeDate = scheduledPurgeDate;
                throw;
            }

            return (secret.Name, Latest(secret).Clone());
        }
    }

    /// <summary>Removes a deleted secret for good; what it was, or null when the name is not deleted.</summary>
    public DeletedEntry? Purge(string name)
    {
        lock (_gate)
        {
            DropExpired();
            var key = Normalize(name);
            if (!_secrets.TryGetValue(key, out var secret) || !secret.IsDeleted)
            {
                return null;
            }

            _secrets.Remove(key);
            try
            {
                Persist();
            }
            catch
            {
                // An unpersisted write must not be visible either.
                _secrets[key] = secret;
                throw;
            }

            return ToDeleted(secret);
        }
    }

    private (StoredSecret Secret, StoredVersion Version)? FindVersion(string name, string? version)
    {
        if (!_secrets.TryGetValue(Normalize(name), out var secret) || secret.IsDeleted || secret.Versions.Count == 0)
        {
            return null;
        }

        if (string.IsNullOrEmpty(version))
        {
            return (secret, Latest(secret));
        }

        var stored = secret.Versions.Find(v => string.Equals(v.Id, version, StringComparison.OrdinalIgnoreCase));
        return stored is null ? null : (secret, stored);
    }

    // Versions are appended in sequence order, so the last one is the latest.
    private static StoredVersion Latest(StoredSecret secret) => secret.Versions[^1];

    /// <summary>
    /// Forgets deleted secrets whose scheduled purge date has passed, as Key Vault purges them by itself.
    /// The file catches up with the next write; a restart drops them again on reading.
    /// </summary>
    private void DropExpired()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var (key, secret) in _secrets.Where(p => p.Value.ScheduledPurgeDate <= now).ToList())
        {
            _secrets.Remove(key);
        }
    }

    private static DeletedEntry ToDeleted(StoredSecret secret) =>
        new(secret.Name, Latest(secret).Clone(), secret.DeletedDate!.Value, secret.ScheduledPurgeDate!.Value);

    private void Persist()
    {
        if (_directory is null)
        {
            return;
        }

        var file = new StoredFile
        {
            Sequence = _sequence,
            Secrets = [.. _secrets.Values.OrderBy(s => Normalize(s.Name), StringComparer.Ordinal)],
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(file, SerializerOptions);
        SecureFiles.WriteAtomically(Path.Combine(_directory, FileName), bytes);
    }

    private static LocalVaultSecretVersion ToPublic(string name, StoredVersion v) => new(
        name,
        v.Id,
        v.Sequence,
        v.Value,
        v.ContentType,
        v.Enabled,
        v.NotBefore is { } nbf ? DateTimeOffset.FromUnixTimeSeconds(nbf) : null,
        v.ExpiresOn is { } exp ? DateTimeOffset.FromUnixTimeSeconds(exp) : null,
        DateTimeOffset.FromUnixTimeSeconds(v.Created),
        DateTimeOffset.FromUnixTimeSeconds(v.Updated),
        new Dictionary<string, string>(v.Tags, StringComparer.Ordinal));
}

/// <summary>A deleted secret: its latest version and when it was deleted and will be purged (Unix seconds).</summary>
internal sealed record DeletedEntry(string Name, StoredVersion Latest, long DeletedDate, long ScheduledPurgeDate);

/// <summary>Attribute fields a request sets; null leaves a field as it is.</summary>
internal readonly record struct AttributeChange(bool? Enabled, long? NotBefore, long? ExpiresOn);

internal sealed class StoredFile
{
    public long Sequence { get; set; }

    public List<StoredSecret> Secrets { get; set; } = [];
}

internal sealed class StoredSecret
{
    public required string Name { get; set; }

    public List<StoredVersion> Versions { get; set; } = [];

    /// <summary>When the secret was deleted (Unix seconds); null while it is not deleted.</summary>
    public long? DeletedDate { get; set; }

    /// <summary>When a deleted secret is purged by itself (Unix seconds).</summary>
    public long? ScheduledPurgeDate { get; set; }

    [JsonIgnore]
    public bool IsDeleted => DeletedDate is not null;
}

internal sealed class StoredVersion
{
    public required string Id { get; set; }

    public long Sequence { get; set; }

    public required string Value { get; set; }

    public string? ContentType { get; set; }

    public bool Enabled { get; set; }

    public long? NotBefore { get; set; }

    public long? ExpiresOn { get; set; }

    public long Created { get; set; }

    public long Updated { get; set; }

    public Dictionary<string, string> Tags { get; set; } = [];

    public StoredVersion Clone() => new()
    {
        Id = Id,
        Sequence = Sequence,
        Value = Value,
        ContentType = ContentType,
        Enabled = Enabled,
        NotBefore = NotBefore,
        ExpiresOn = ExpiresOn,
        Created = Created,
        Updated = Updated,
        Tags = new Dictionary<string, string>(Tags, StringComparer.Ordinal),
    };
}

using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotator.LocalVault;

/// <summary>The vault's state: secrets, their versions, and the file they persist to.</summary>
internal sealed class VaultStore
{
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
                return [.. _secrets.Values.Select(s => s.Name).Order(StringComparer.Ordinal)];
            }
        }
    }

    public IReadOnlyList<LocalVaultSecretVersion> Snapshot()
    {
        lock (_gate)
        {
            return [.. _secrets.Values
                .SelectMany(s => s.Versions.Select(v => ToPublic(s.Name, v)))
                .OrderBy(v => v.Sequence)];
        }
    }

    /// <summary>Adds a version and persists before returning, so an answered write is durable.</summary>
    public (string Name, StoredVersion Version) Add(string name, string value, string? contentType, AttributeChange attributes, Dictionary<string, string> tags)
    {
        lock (_gate)
        {
            var key = Normalize(name);
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
            return FindVersion(name, version) is var (secret, stored) ? (secret.Name, stored.Clone()) : null;
        }
    }

    /// <summary>Versions of one secret ordered by id (as Key Vault lists them), after <paramref name="after"/>.</summary>
    public (string Name, List<StoredVersion> Page, bool More) ListVersions(string name, string? after, int max)
    {
        lock (_gate)
        {
            if (!_secrets.TryGetValue(Normalize(name), out var secret))
            {
                return (name, [], false);
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
            var rest = _secrets
                .Where(p => p.Value.Versions.Count > 0 && (after is null || string.CompareOrdinal(p.Key, after) > 0))
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .ToList();
            return ([.. rest.Take(max).Select(p => (p.Value.Name, Latest(p.Value).Clone()))], rest.Count > max);
        }
    }

    private (StoredSecret Secret, StoredVersion Version)? FindVersion(string name, string? version)
    {
        if (!_secrets.TryGetValue(Normalize(name), out var secret) || secret.Versions.Count == 0)
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

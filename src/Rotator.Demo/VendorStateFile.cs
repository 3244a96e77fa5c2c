using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotator.Demo;

/// <summary>The vendor's persisted state: hashes of keys, never keys.</summary>
internal sealed class VendorStateFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    [JsonPropertyName("v")]
    public int V { get; set; } = 1;

    [JsonPropertyName("rejectedCalls")]
    public long RejectedCalls { get; set; }

    [JsonPropertyName("accounts")]
    public List<VendorAccountRecord> Accounts { get; set; } = [];

    public static VendorStateFile? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<VendorStateFile>(stream, Json)
            ?? throw new InvalidDataException($"'{path}' is not a sample vendor state file.");
    }

    /// <summary>Temp file, flush to disk, rename: a crash leaves the old file or the new one, never half of one.</summary>
    public void Save(string path)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            // Management tokens live here: readable by the owner only.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, this, Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}

internal sealed class VendorAccountRecord
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    // Kept as is (not hashed) so that a restarted demo can hand the same token out again.
    [JsonPropertyName("managementToken")]
    public string ManagementToken { get; set; } = "";

    [JsonPropertyName("keys")]
    public List<VendorKeyRecord> Keys { get; set; } = [];
}

internal sealed class VendorKeyRecord
{
    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    [JsonPropertyName("label")]
    public string Label { get; set; } = "";

    [JsonPropertyName("sha256")]
    public string Sha256 { get; set; } = "";

    [JsonPropertyName("fingerprint")]
    public string Fingerprint { get; set; } = "";

    [JsonPropertyName("createdAt")]
    public DateTimeOffset CreatedAt { get; set; }

    [JsonPropertyName("lastUsedAt")]
    public DateTimeOffset? LastUsedAt { get; set; }

    [JsonPropertyName("revoked")]
    public bool Revoked { get; set; }

    [JsonPropertyName("revokedAt")]
    public DateTimeOffset? RevokedAt { get; set; }

    [JsonPropertyName("acceptedCalls")]
    public long AcceptedCalls { get; set; }

    [JsonPropertyName("rejectedCalls")]
    public long RejectedCalls { get; set; }

    public VendorKeyState ToState() =>
        new(Id, Label, Fingerprint, CreatedAt, LastUsedAt, Revoked, RevokedAt, AcceptedCalls, RejectedCalls);
}

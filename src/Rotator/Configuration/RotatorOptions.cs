namespace Rotator.Configuration;

/// <summary>The <c>Rotator</c> configuration section: the vault, the retry policy and every managed key.</summary>
public sealed class RotatorOptions
{
    public const string SectionName = "Rotator";

    public VaultOptions Vault { get; set; } = new();

    public RetryOptions Retry { get; set; } = new();

    /// <summary>
    /// This worker's name in the lease it writes. Workers with the same id take over from each other (a restarted pod);
    /// a worker with another id holding an unexpired lease means two workers on one vault, and both stop. Defaults to
    /// the machine name; set it to the release name in Kubernetes.
    /// </summary>
    public string? WorkerId { get; set; }

    /// <summary>How long a lease holds without being renewed.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Before each side effect the record is read again after a random delay up to this, so two workers that wrote at once see each other.</summary>
    public TimeSpan LeaseCheckDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The admin API: where it listens and who may call it.</summary>
    public AdminOptions Admin { get; set; } = new();

    /// <summary>Where rotation outcomes are announced.</summary>
    public WebhookOptions Webhook { get; set; } = new();

    /// <summary>A list, not a dictionary: configuration keys merge case-insensitively, which would hide a clash.</summary>
    public List<ManagedKeyOptions> Keys { get; set; } = [];
}

public sealed class AdminOptions
{
    /// <summary>Where the admin API, the health endpoints and the metrics listen (semicolon-separated URLs; port 0 picks a free port).</summary>
    public string Urls { get; set; } = "http://0.0.0.0:8080";

    /// <summary>The named API keys that may call the admin API. Each is a generated managed key of its own.</summary>
    public List<AdminKeyOptions> Keys { get; set; } = [];

    /// <summary>How often the worker re-reads the admin keys' <c>-accepted</c> secrets (and at most how often a miss makes it look again).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How the admin keys' rotations roll out; the worker is their verifier, and callers read the vault each time.</summary>
    public RolloutOptions Rollout { get; set; } = new();
}

public enum AdminRole
{
    /// <summary>May read status and history.</summary>
    Viewer,

    /// <summary>May also rotate, abort, complete, pause and resume.</summary>
    Operator,
}

/// <summary>One named admin API key: its role, the vault secret its current value lives in, and how it rotates.</summary>
public sealed class AdminKeyOptions
{
    /// <summary>The key's name: recorded as the actor of every action taken with it.</summary>
    public string Name { get; set; } = "";

    public AdminRole Role { get; set; } = AdminRole.Viewer;

    /// <summary>The managed secret holding the key's current value; its <c>-accepted</c> secret holds the hashes the worker accepts.</summary>
    public string Secret { get; set; } = "";

    /// <summary>The first value, stored only when the secret has no version yet (from a Kubernetes Secret, never from a values file).</summary>
    public string? Seed { get; set; }

    /// <summary>When the admin key rotates; every 30 days by default.</summary>
    public ScheduleOptions Schedule { get; set; } = new() { Interval = TimeSpan.FromDays(30) };
}

public enum VaultCredential
{
    /// <summary>Azure workload identity (Kubernetes): the federated token file from the pod's environment.</summary>
    WorkloadIdentity,

    /// <summary>A system- or user-assigned managed identity.</summary>
    ManagedIdentity,

    /// <summary>A developer's <c>az login</c>.</summary>
    AzureCli,

    /// <summary>The embedded local vault: token and certificate read from its data folder. Development only.</summary>
    LocalVault,
}

public sealed class VaultOptions
{
    /// <summary>The vault's URI, for example <c>https://my-vault.vault.azure.net/</c>.</summary>
    public Uri? Uri { get; set; }

    public VaultCredential Credential { get; set; } = VaultCredential.WorkloadIdentity;

    /// <summary>Client id of a user-assigned managed identity; empty for the system-assigned one.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The local vault's data folder (its <c>token</c> and <c>cert.pem</c>), when <see cref="Credential"/> is <c>LocalVault</c>.</summary>
    public string? LocalVaultData { get; set; }

    /// <summary>Per-request network timeout; short, so a hung call fails into Rotator's own retry policy.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class RetryOptions
{
    /// <summary>Failed attempts of one step, counted in the control secret, before the key goes to NeedsAttention.</summary>
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed class ManagedKeyOptions
{
    /// <summary>The managed key's name, used in logs, metrics and the admin API.</summary>
    public string Name { get; set; } = "";

    /// <summary>The managed secret consumers read. <c>&lt;Secret&gt;-rotator</c> and <c>&lt;Secret&gt;-accepted</c> derive from it.</summary>
    public string Secret { get; set; } = "";

    /// <summary>Mint the first key when the managed secret has no version. Off by default: a misspelled name must not become a new secret.</summary>
    public bool Bootstrap { get; set; }

    public ScheduleOptions Schedule { get; set; } = new();

    public RolloutOptions Rollout { get; set; } = new();

    /// <summary>Added to the next due time and the rollout timeout to give every version an <c>exp</c>.</summary>
    public TimeSpan ExpiryMargin { get; set; } = TimeSpan.FromDays(7);

    public IssuerOptions Issuer { get; set; } = new();

    /// <summary>Services that send the key; each reports the fingerprint it last sent.</summary>
    public List<ProbeOptions> Consumers { get; set; } = [];

    /// <summary>Generated keys only: services that check the key; each reports the fingerprints it accepts.</summary>
    public List<ProbeOptions> Verifiers { get; set; } = [];
}

public sealed class ScheduleOptions
{
    /// <summary>A Quartz cron expression (seconds first), for example <c>0 0 3 ? * MON</c>.</summary>
    public string? Cron { get; set; }

    /// <summary>Or an interval counted from the last completed rotation, for example <c>90.00:00:00</c>.</summary>
    public TimeSpan? Interval { get; set; }

    /// <summary>Time zone of the cron expression and the maintenance window (IANA or Windows id); UTC when empty.</summary>
    public string? TimeZone { get; set; }

    /// <summary>A random delay up to this much is added to each due time, to spread mass rotations.</summary>
    public TimeSpan Jitter { get; set; }

    /// <summary>The oldest the current key may get: shown in status, exported as a metric, alerted on. Null: no limit.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>When scheduled rotations may start; a rotation due outside it waits for its next opening. Null: any time.</summary>
    public MaintenanceWindowOptions? Window { get; set; }
}

public sealed class RolloutOptions
{
    /// <summary>How often consumers are polled while the gate waits.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every consumer must report the new key for at least this long (over two or more polls).</summary>
    public TimeSpan StableFor { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After this the rotation is Stalled: alert, poll slower, never revoke on its own.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Polling interval once Stalled.</summary>
    public TimeSpan StalledPollInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>In an emergency that suspects the old key, how long consumers get to switch before it is revoked anyway.</summary>
    public TimeSpan EmergencyGrace { get; set; } = TimeSpan.FromMinutes(2);
}

public enum IssuerType
{
    /// <summary>Rotator generates the key itself for an API of the user's own.</summary>
    Generated,

    /// <summary>A vendor's key-management API described in configuration.</summary>
    Http,
}

public sealed class IssuerOptions
{
    /// <summary><c>Generated</c> or <c>Http</c>. A string, so that a misspelling is a validation message, not a binder exception.</summary>
    public string Type { get; set; } = "";

    public IssuerType? Kind => Enum.TryParse<IssuerType>(Type, ignoreCase: true, out var kind) && Enum.IsDefined(kind) ? kind : null;

    /// <summary>Generated keys: text put before the random part.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Generated keys: characters of the random part.</summary>
    public string Alphabet { get; set; } = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Generated keys: number of random characters; with the alphabet it must give at least 256 bits.</summary>
    public int Length { get; set; } = 43;

    public HttpIssuerOptions Http { get; set; } = new();
}

public sealed class HttpIssuerOptions
{
    /// <summary>Base address of the vendor's key-management API; operation URLs are relative to it.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The issuer-side scope whose active keys count against <see cref="MaxActiveKeys"/>; fills <c>{account}</c>.</summary>
    public string Account { get; set; } = "";

    public int MaxActiveKeys { get; set; } = 2;

    /// <summary>For the first rotation of a key created by hand: the vendor's id of the key now in the vault. Without it, Rotator adopts the account's only active key, or stops and asks.</summary>
    public string? CurrentKeyId { get; set; }

    /// <summary>Vault secret holding the management credential.</summary>
    public string CredentialSecret { get; set; } = "";

    /// <summary>Header that carries the management credential, and its format (<c>{0}</c> is the credential).</summary>
    public string CredentialHeader { get; set; } = "Authorization";

    public string CredentialFormat { get; set; } = "Bearer {0}";

    public HttpOperationOptions Create { get; set; } = new() { Method = "POST" };

    public HttpOperationOptions List { get; set; } = new() { Method = "GET" };

    public HttpOperationOptions Revoke { get; set; } = new() { Method = "DELETE" };

    /// <summary>Optional: a request made with the new key before it is stored. Retried for the vendor's propagation delay.</summary>
    public HttpVerifyOptions? Verify { get; set; }

    public JsonPointerOptions Pointers { get; set; } = new();

    public PaginationOptions Pagination { get; set; } = new();

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

public class HttpOperationOptions
{
    public string Method { get; set; } = "GET";

    /// <summary>Relative or absolute URL; <c>{account}</c>, <c>{id}</c> and <c>{label}</c> are filled in (URL-encoded).</summary>
    public string Url { get; set; } = "";

    /// <summary>JSON body template; <c>{account}</c> and <c>{label}</c> are filled in (JSON-escaped).</summary>
    public string? Body { get; set; }
}

public sealed class HttpVerifyOptions : HttpOperationOptions
{
    /// <summary>Header that carries the new key, and its format.</summary>
    public string Header { get; set; } = "X-Api-Key";

    public string Format { get; set; } = "{0}";

    public int Attempts { get; set; } = 5;

    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>RFC 6901 JSON pointers into the vendor's answers.</summary>
public sealed class JsonPointerOptions
{
    /// <summary>In a list answer, the array of keys.</summary>
    public string Items { get; set; } = "/items";

    public string Id { get; set; } = "/id";

    /// <summary>In the create answer only: the key's value, shown once.</summary>
    public string Key { get; set; } = "/key";

    public string Label { get; set; } = "/label";

    public string Created { get; set; } = "/createdAt";

    public string LastUsed { get; set; } = "/lastUsedAt";

    /// <summary>Optional: a field that is false or <c>"revoked"</c> for keys no longer active. Empty: every listed key is active.</summary>
    public string? Status { get; set; }
}

public enum PaginationStyle
{
    /// <summary>One answer holds every key.</summary>
    None,

    /// <summary>The answer holds the next page's URL at <see cref="PaginationOptions.Next"/>.</summary>
    NextUrl,

    /// <summary>The answer holds a cursor at <see cref="PaginationOptions.Next"/>, sent back as the query parameter <see cref="PaginationOptions.CursorParameter"/>.</summary>
    Cursor,
}

public sealed class PaginationOptions
{
    public PaginationStyle Style { get; set; } = PaginationStyle.None;

    public string Next { get; set; } = "/next";

    public string CursorParameter { get; set; } = "cursor";

    /// <summary>A guard against a vendor that pages forever.</summary>
    public int MaxPages { get; set; } = 100;
}

public enum ProbeType
{
    /// <summary>GET the URL on every address its host resolves to; JSON per DESIGN.md's consumer contract.</summary>
    Http,
}

public sealed class ProbeOptions
{
    /// <summary><c>Http</c>. A string, so that a misspelling is a validation message, not a binder exception.</summary>
    public string Type { get; set; } = nameof(ProbeType.Http);

    public ProbeType? Kind => Enum.TryParse<ProbeType>(Type, ignoreCase: true, out var kind) && Enum.IsDefined(kind) ? kind : null;

    /// <summary>The probe endpoint, for example <c>http://billing.prod.svc.cluster.local:8080/rotator/key</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>The host name must resolve to at least this many addresses, or the consumer counts as not switched.</summary>
    public int MinAddresses { get; set; } = 1;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}

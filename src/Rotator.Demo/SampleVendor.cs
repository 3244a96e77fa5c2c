using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rotator.Client;

namespace Rotator.Demo;

/// <summary>
/// A small key-issuing API like the ones users rotate: accounts hold at most a few active keys, a key is
/// shown once when it is created, revocation is immediate, and the vendor stores only hashes.
/// </summary>
public sealed partial class SampleVendor : IAsyncDisposable
{
    public const string DataFileName = "vendor.json";

    // How often usage alone (lastUsedAt, counters) reaches the disk; structural changes are saved at once.
    private static readonly TimeSpan UsageSaveInterval = TimeSpan.FromSeconds(1);
    private static readonly byte[] CreditsBody = Encoding.UTF8.GetBytes("{\"email_credit\":1000.0,\"phone_credit\":500.0}");
    private static readonly JsonSerializerOptions Json = new();

    private readonly Lock gate = new();
    private readonly VendorStateFile state;
    private readonly string? dataFile;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly SampleVendorOptions options;
    private WebApplication? app;
    private DateTimeOffset lastSave;
    private bool usageDirty;

    private SampleVendor(SampleVendorOptions options, VendorStateFile state, string? dataFile, TimeProvider time, ILogger logger)
    {
        this.options = options;
        this.state = state;
        this.dataFile = dataFile;
        this.time = time;
        this.logger = logger;
        lastSave = time.GetUtcNow();
    }

    public Uri BaseUri { get; private set; } = null!;

    public SampleVendorFaults Faults { get; } = new();

    /// <summary>Called after each accepted create or revoke is committed and before its response is sent.</summary>
    public Func<VendorWrite, CancellationToken, Task>? AfterCommit { get; set; }

    public int MaxActiveKeys => options.MaxActiveKeys;

    /// <summary>Data calls refused, with a revoked key or an unknown one.</summary>
    public long RejectedCalls
    {
        get { lock (gate) { return state.RejectedCalls; } }
    }

    /// <summary>Data calls accepted, over all keys.</summary>
    public long AcceptedCalls
    {
        get { lock (gate) { return state.Accounts.SelectMany(a => a.Keys).Sum(k => k.AcceptedCalls); } }
    }

    public static async Task<SampleVendor> StartAsync(
        SampleVendorOptions options, TimeProvider time, ILoggerFactory? loggers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxActiveKeys, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DefaultPageSize, 1);
        var endpoint = LoopbackEndpoint(options.Url);

        string? dataFile = null;
        VendorStateFile? loaded = null;
        if (options.DataDirectory is { } directory)
        {
            Directory.CreateDirectory(directory);
            dataFile = Path.Combine(directory, DataFileName);
            loaded = VendorStateFile.Load(dataFile);
        }

        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<SampleVendor>();
        var vendor = new SampleVendor(options, loaded ?? new VendorStateFile(), dataFile, time, logger);
        if (loaded is not null)
        {
            LogLoaded(logger, dataFile!, loaded.Accounts.Count);
        }

        (vendor.app, vendor.BaseUri) = await LoopbackServer.StartAsync(endpoint, vendor.HandleAsync, ct);
        LogStarted(logger, vendor.BaseUri);
        return vendor;
    }

    /// <summary>Creates the account, or returns the management token it already has (also after a restart).</summary>
    public string CreateAccount(string account)
    {
        ValidateAccountName(account);
        lock (gate)
        {
            if (Find(account) is { } existing)
            {
                return existing.ManagementToken;
            }

            var record = new VendorAccountRecord { Name = account, ManagementToken = "vmt_" + RandomToken(32) };
            state.Accounts.Add(record);
            SaveLocked();
            return record.ManagementToken;
        }
    }

    /// <summary>
    /// Mints a key outside the API, as a person would in the vendor's dashboard, and returns its value.
    /// Creates the account if needed; the active-key limit still holds.
    /// </summary>
    public string MintKeyDirect(string account, string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        CreateAccount(account);
        lock (gate)
        {
            if (!TryMintLocked(Find(account)!, label, out var record, out var value))
            {
                throw new InvalidOperationException(
                    $"Account '{account}' already has {options.MaxActiveKeys} active keys, the limit.");
            }

            LogKeyCreated(logger, account, record.Id, record.Label, record.Fingerprint);
            return value;
        }
    }

    /// <summary>Every key the account ever had, in creation order, revoked ones included.</summary>
    public IReadOnlyList<VendorKeyState> Keys(string account)
    {
        lock (gate)
        {
            return Find(account) is { } record ? [.. record.Keys.Select(k => k.ToState())] : [];
        }
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref app, null) is { } web)
        {
            await LoopbackServer.StopAsync(web, ct);
        }

        lock (gate)
        {
            if (usageDirty)
            {
                SaveLocked();
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private async Task HandleAsync(HttpContext context)
    {
        // The vendor's own clock, so that usage times and the Date header agree (a gate compares them).
        context.Response.Headers.Date = time.GetUtcNow().ToString("R", CultureInfo.InvariantCulture);
        var segments = (context.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = context.Request.Method;
        switch (segments)
        {
            case ["v1", "account", "credits"] when HttpMethods.IsGet(method):
                await CreditsAsync(context);
                break;
            case ["v1", "accounts", var account, "keys"] when HttpMethods.IsPost(method):
                await CreateAsync(context, account);
                break;
            case ["v1", "accounts", var account, "keys"] when HttpMethods.IsGet(method):
                await ListAsync(context, account);
                break;
            case ["v1", "accounts", var account, "keys", var id] when HttpMethods.IsDelete(method):
                await RevokeAsync(context, account, id);
                break;
            case ["v1", "account", "credits"] or ["v1", "accounts", _, "keys"] or ["v1", "accounts", _, "keys", _]:
                await ErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "method_not_allowed", "Method not allowed.");
                break;
            default:
                await ErrorAsync(context, StatusCodes.Status404NotFound, "not_found", "No such resource.");
                break;
        }
    }

    private async Task CreditsAsync(HttpContext context)
    {
        var presented = context.Request.Headers["X-Api-Key"].ToString();
        string? rejectedFingerprint = null;
        var accepted = false;
        lock (gate)
        {
            var key = presented.Length == 0 ? null : FindKeyLocked(presented);
            if (key is { Revoked: false })
            {
                key.AcceptedCalls++;
                key.LastUsedAt = time.GetUtcNow();
                accepted = true;
            }
            else
            {
                state.RejectedCalls++;
                if (key is not null)
                {
                    key.RejectedCalls++;
                }

                rejectedFingerprint = key?.Fingerprint ?? "unknown";
            }

            NoteUsageLocked();
        }

        if (!accepted)
        {
            LogRejectedCall(logger, rejectedFingerprint!);
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "Invalid or revoked API key.");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(CreditsBody, context.RequestAborted);
    }

    private async Task CreateAsync(HttpContext context, string account)
    {
        if (!Authorized(context, account))
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "Missing or invalid management token.");
            return;
        }

        var label = await ReadLabelAsync(context);
        if (label is null)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request",
                "The body must be {\"label\":\"…\"} with a label of 1 to 128 characters.");
            return;
        }

        var fault = TakeFault(VendorOperation.Create);
        if (fault == VendorFault.Unavailable)
        {
            await DelayAsync(context);
            await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "unavailable", "Try again later.");
            return;
        }

        bool minted;
        VendorKeyRecord record;
        string value;
        lock (gate)
        {
            minted = TryMintLocked(Find(account)!, label, out record, out value);
        }

        if (!minted)
        {
            LogCreateRefused(logger, account, options.MaxActiveKeys);
            await WriteJsonAsync(context, StatusCodes.Status409Conflict, new ErrorBody(
                "active_key_limit",
                $"The account already has {options.MaxActiveKeys} active keys, the limit; revoke one first.",
                options.MaxActiveKeys));
            return;
        }

        LogKeyCreated(logger, account, record.Id, record.Label, record.Fingerprint);
        await AfterCommitAsync(new VendorWrite(VendorOperation.Create, account, record.Id, record.Label), context);
        await DelayAsync(context);
        if (await AnsweredWithFaultAsync(context, fault, StatusCodes.Status201Created))
        {
            return;
        }

        // The one response that ever carries a key value.
        await WriteJsonAsync(context, StatusCodes.Status201Created, new CreatedBody(record.Id, value, record.Label, record.CreatedAt));
    }

    private async Task ListAsync(HttpContext context, string account)
    {
        if (!Authorized(context, account))
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "Missing or invalid management token.");
            return;
        }

        var limit = options.DefaultPageSize;
        if (context.Request.Query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request", "limit must be between 1 and 100.");
            return;
        }

        var cursor = context.Request.Query["cursor"].ToString();
        var fault = TakeFault(VendorOperation.List);
        if (fault == VendorFault.Unavailable)
        {
            await DelayAsync(context);
            await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "unavailable", "Try again later.");
            return;
        }

        ListBody? page;
        lock (gate)
        {
            page = PageLocked(Find(account)!, cursor, limit);
        }

        if (page is null)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_cursor", "The cursor is not valid for this account.");
            return;
        }

        await DelayAsync(context);
        if (await AnsweredWithFaultAsync(context, fault, StatusCodes.Status200OK))
        {
            return;
        }

        await WriteJsonAsync(context, StatusCodes.Status200OK, page);
    }

    private async Task RevokeAsync(HttpContext context, string account, string id)
    {
        if (!Authorized(context, account))
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "Missing or invalid management token.");
            return;
        }

        var fault = TakeFault(VendorOperation.Revoke);
        if (fault == VendorFault.Unavailable)
        {
            await DelayAsync(context);
            await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "unavailable", "Try again later.");
            return;
        }

        VendorKeyRecord? key;
        lock (gate)
        {
            key = Find(account)!.Keys.FirstOrDefault(k => k.Id == id && !k.Revoked);
            if (key is not null)
            {
                key.Revoked = true;
                key.RevokedAt = time.GetUtcNow();
                SaveLocked();
            }
        }

        if (key is null)
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, "not_found", "No active key with that id.");
            return;
        }

        LogKeyRevoked(logger, account, key.Id, key.Fingerprint);
        await AfterCommitAsync(new VendorWrite(VendorOperation.Revoke, account, key.Id, key.Label), context);
        await DelayAsync(context);
        if (await AnsweredWithFaultAsync(context, fault, StatusCodes.Status204NoContent))
        {
            return;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private ListBody? PageLocked(VendorAccountRecord account, string cursor, int limit)
    {
        // The cursor names the last key returned; positions in the full list never move, revoked keys included,
        // so a revoke between pages neither skips nor repeats a key.
        var start = 0;
        if (cursor.Length > 0)
        {
            string after;
            try
            {
                after = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            }
            catch (FormatException)
            {
                return null;
            }

            var index = account.Keys.FindIndex(k => k.Id == after);
            if (index < 0)
            {
                return null;
            }

            start = index + 1;
        }

        var items = new List<ListItem>();
        string? next = null;
        for (var i = start; i < account.Keys.Count; i++)
        {
            var key = account.Keys[i];
            if (key.Revoked)
            {
                continue;
            }

            if (items.Count == limit)
            {
                next = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(items[^1].Id));
                break;
            }

            items.Add(new ListItem(key.Id, key.Label, key.CreatedAt, key.LastUsedAt, "active"));
        }

        return new ListBody(items, next);
    }

    private bool TryMintLocked(VendorAccountRecord account, string label, out VendorKeyRecord record, out string value)
    {
        if (account.Keys.Count(k => !k.Revoked) >= options.MaxActiveKeys)
        {
            record = null!;
            value = null!;
            return false;
        }

        value = "vk_" + RandomToken(32);
        record = new VendorKeyRecord
        {
            Id = "key_" + RandomToken(12),
            Label = label,
            Sha256 = Fingerprint.Sha256Hex(value),
            Fingerprint = Fingerprint.Of(value),
            CreatedAt = time.GetUtcNow(),
        };
        account.Keys.Add(record);
        SaveLocked();
        return true;
    }

    private VendorKeyRecord? FindKeyLocked(string presented)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        VendorKeyRecord? found = null;
        foreach (var key in state.Accounts.SelectMany(a => a.Keys))
        {
            // Every stored hash is compared, whatever matched before, so timing reveals nothing.
            if (CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(key.Sha256)))
            {
                found = key;
            }
        }

        return found;
    }

    private bool Authorized(HttpContext context, string account)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string? expected;
        lock (gate)
        {
            expected = Find(account)?.ManagementToken;
        }

        // Hashing first gives equal lengths, so the comparison takes the same time whatever was sent.
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()));
        var expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(expected ?? ""));
        return CryptographicOperations.FixedTimeEquals(presentedHash, expectedHash) && expected is not null;
    }

    private VendorAccountRecord? Find(string account) =>
        state.Accounts.FirstOrDefault(a => string.Equals(a.Name, account, StringComparison.Ordinal));

    private VendorFault? TakeFault(VendorOperation operation)
    {
        var fault = Faults.Take(operation);
        if (fault is { } f)
        {
            LogFaultInjected(logger, operation, f);
        }

        return fault;
    }

    private async Task AfterCommitAsync(VendorWrite write, HttpContext context)
    {
        if (AfterCommit is { } hook)
        {
            await hook(write, context.RequestAborted);
        }
    }

    private async Task DelayAsync(HttpContext context)
    {
        if (Faults.Delay is { Ticks: > 0 } delay)
        {
            await Task.Delay(delay, time, context.RequestAborted);
        }
    }

    /// <summary>Answers as the fault asks, after the work was done; false when there is no fault to apply.</summary>
    private static async Task<bool> AnsweredWithFaultAsync(HttpContext context, VendorFault? fault, int successStatus)
    {
        switch (fault)
        {
            case VendorFault.CommitThenFail:
                await WriteTextAsync(context, StatusCodes.Status500InternalServerError, "<html><body>upstream error</body></html>");
                return true;
            case VendorFault.CommitThenAbort:
                context.Abort();
                return true;
            case VendorFault.Garbage:
                await WriteTextAsync(context, successStatus == StatusCodes.Status204NoContent ? StatusCodes.Status200OK : successStatus,
                    "{\"id\":\"key_");
                return true;
            default:
                return false;
        }
    }

    private static async Task<string?> ReadLabelAsync(HttpContext context)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            return body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("label", out var label)
                && label.ValueKind == JsonValueKind.String
                && label.GetString() is { Length: >= 1 and <= 128 } text
                ? text
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void NoteUsageLocked()
    {
        usageDirty = true;
        if (time.GetUtcNow() - lastSave >= UsageSaveInterval)
        {
            SaveLocked();
        }
    }

    private void SaveLocked()
    {
        if (dataFile is not null)
        {
            state.Save(dataFile);
        }

        usageDirty = false;
        lastSave = time.GetUtcNow();
    }

    private static Task ErrorAsync(HttpContext context, int status, string error, string message) =>
        WriteJsonAsync(context, status, new ErrorBody(error, message, null));

    private static async Task WriteJsonAsync<T>(HttpContext context, int status, T body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, Json, context.RequestAborted);
    }

    private static async Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static string RandomToken(int bytes) => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    private static void ValidateAccountName(string account)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        if (account.Length > 64 || !account.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException("An account name is 1 to 64 letters, digits, '-' or '_'.", nameof(account));
        }
    }

    private static IPEndPoint LoopbackEndpoint(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException("The sample vendor serves plain HTTP on loopback only.", nameof(url));
        }

        var address = url.IsLoopback && url.Host is "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip) ? ip
            : throw new ArgumentException("The sample vendor listens on a loopback address only.", nameof(url));
        return new IPEndPoint(address, url.Port);
    }

    private sealed record ErrorBody(
        [property: JsonPropertyName("error")] string Error,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("limit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Limit);

    private sealed record CreatedBody(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("key")] string Key,
        [property: JsonPropertyName("label")] string Label,
        [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt);

    private sealed record ListItem(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("label")] string Label,
        [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
        [property: JsonPropertyName("lastUsedAt")] DateTimeOffset? LastUsedAt,
        [property: JsonPropertyName("status")] string Status);

    private sealed record ListBody(
        [property: JsonPropertyName("items")] IReadOnlyList<ListItem> Items,
        [property: JsonPropertyName("next")] string? Next);

    [LoggerMessage(1, LogLevel.Information, "Sample vendor listening on {BaseUri}")]
    private static partial void LogStarted(ILogger logger, Uri baseUri);

    [LoggerMessage(2, LogLevel.Information, "Sample vendor state loaded from {Path} ({Accounts} accounts)")]
    private static partial void LogLoaded(ILogger logger, string path, int accounts);

    [LoggerMessage(3, LogLevel.Information, "Key {KeyId} ({Label}, fingerprint {Fingerprint}) created for account {Account}")]
    private static partial void LogKeyCreated(ILogger logger, string account, string keyId, string label, string fingerprint);

    [LoggerMessage(4, LogLevel.Information, "Key {KeyId} (fingerprint {Fingerprint}) of account {Account} revoked")]
    private static partial void LogKeyRevoked(ILogger logger, string account, string keyId, string fingerprint);

    [LoggerMessage(5, LogLevel.Warning, "Create refused for account {Account}: it already has {Limit} active keys")]
    private static partial void LogCreateRefused(ILogger logger, string account, int limit);

    [LoggerMessage(6, LogLevel.Warning, "Data call rejected (key fingerprint {Fingerprint})")]
    private static partial void LogRejectedCall(ILogger logger, string fingerprint);

    [LoggerMessage(7, LogLevel.Warning, "Injected fault {Fault} on {Operation}")]
    private static partial void LogFaultInjected(ILogger logger, VendorOperation operation, VendorFault fault);
}

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rotator.Configuration;

namespace Rotator.Issuers.Http;

/// <summary>
/// A vendor's key-management API described by <see cref="HttpIssuerOptions"/>. No key value, and not the
/// management credential, ever reaches a log or an exception: messages name the managed key, the operation,
/// the method, the URL without its query, and the status.
/// </summary>
internal sealed partial class HttpKeyIssuer : IKeyIssuer
{
    private const int ExcerptLength = 200;

    // Bodies bigger than this are not quoted at all: an error page, not a vendor's short message.
    private const int ExcerptSourceLimit = 64 * 1024;

    private static readonly string[] InactiveStatuses = ["revoked", "inactive", "disabled"];

    private readonly HttpIssuerOptions options;
    private readonly string keyName;
    private readonly HttpClient http;
    private readonly Func<CancellationToken, Task<string>> managementCredential;
    private readonly TimeProvider time;
    private readonly ILogger logger;

    public HttpKeyIssuer(
        HttpIssuerOptions options,
        string keyName,
        HttpClient http,
        Func<CancellationToken, Task<string>> managementCredential,
        TimeProvider time,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keyName);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(managementCredential);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        this.options = options;
        this.keyName = keyName;
        this.http = http;
        this.managementCredential = managementCredential;
        this.time = time;
        this.logger = logger;
    }

    private TimeSpan RequestTimeout => options.Timeout > TimeSpan.Zero ? options.Timeout : Timeout.InfiniteTimeSpan;

    public async Task<IReadOnlyList<IssuerKey>> ListAsync(CancellationToken cancellationToken)
    {
        // Read once per operation: every page of one listing uses the same credential.
        var credential = await managementCredential(cancellationToken);
        return await ListAsync(credential, cancellationToken);
    }

    public async Task<MintedKey> CreateAsync(string label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(label);
        var credential = await managementCredential(cancellationToken);
        var request = Describe("create", options.Create.Method, ResolveUrl("create", options.Create.Url, id: null, label));
        var reply = await SendAsync(request, ManagementHeader(credential), ExpandBody(options.Create.Body, label), attachInner: true, cancellationToken);

        // Never retried here: a create whose answer was lost may have minted, and only a listing can tell.
        if (!reply.Answered)
        {
            throw new IssuerException(IssuerFailure.MaybeMinted, $"{request} {reply.Failure}; the key may have been minted", reply.Error);
        }

        if (!IsSuccess(reply.Status))
        {
            if (IsRefusal(reply.Status))
            {
                throw new IssuerException(IssuerFailure.Permanent, $"{request} answered {StatusText(reply.Status)}{Excerpt(reply, credential)}");
            }

            throw new IssuerException(IssuerFailure.MaybeMinted, $"{request} answered {StatusText(reply.Status)}; the key may have been minted");
        }

        // The success body holds the new key: nothing of it is ever quoted, not even a parser's message.
        using var document = TryParse(reply.Body);
        if (document is null)
        {
            throw new IssuerException(IssuerFailure.MaybeMinted, $"{request} answered {StatusText(reply.Status)} with a body that is not JSON; the key may have been minted");
        }

        var id = JsonPointer.GetScalar(document.RootElement, options.Pointers.Id);
        var value = JsonPointer.TryResolve(document.RootElement, options.Pointers.Key, out var keyElement) && keyElement.ValueKind == JsonValueKind.String
            ? keyElement.GetString()
            : null;

        if (string.IsNullOrEmpty(id) || id == value)
        {
            // An "id" equal to the key means the pointers are crossed; naming it would print the key.
            throw new IssuerException(IssuerFailure.MaybeMinted, $"{request} answered {StatusText(reply.Status)} without an id at '{options.Pointers.Id}'; the key may have been minted");
        }

        if (string.IsNullOrEmpty(value))
        {
            throw new IssuerException(IssuerFailure.MaybeMinted, $"{request} answered {StatusText(reply.Status)} for key id {id} without a key at '{options.Pointers.Key}'; the key was probably minted");
        }

        LogMinted(logger, keyName, id, label);
        return new MintedKey(id, value);
    }

    public async Task<bool> VerifyAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var verify = options.Verify;
        if (verify is null)
        {
            return true;
        }

        var request = Describe("verify", verify.Method, ResolveUrl("verify", verify.Url, id: null, label: null));
        var header = (verify.Header, FormatHeader(verify.Format, key, "Verify.Format"));
        var body = ExpandBody(verify.Body, label: null);
        var attempts = Math.Max(1, verify.Attempts);
        var rejected = false;
        var outcome = "";
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            // The request carries the new key, so no inner exception is kept: nothing of it may travel.
            var reply = await SendAsync(request, header, body, attachInner: false, cancellationToken);
            if (reply.Answered && IsSuccess(reply.Status))
            {
                LogVerified(logger, keyName, attempt, attempts);
                return true;
            }

            if (reply.Answered && reply.Status is 401 or 403)
            {
                // The vendor may not have propagated the new key yet: ask again.
                rejected = true;
                outcome = $"answered {StatusText(reply.Status)}";
            }
            else if (!reply.Answered || !IsRefusal(reply.Status))
            {
                rejected = false;
                outcome = reply.Answered ? $"answered {StatusText(reply.Status)}" : reply.Failure!;
            }
            else
            {
                // Not a verdict on the key: the verify request itself does not fit the vendor. The body is not quoted; it may echo the key.
                throw new IssuerException(IssuerFailure.Permanent, $"{request} answered {StatusText(reply.Status)}");
            }

            LogVerifyAttempt(logger, keyName, attempt, attempts, outcome);
            if (attempt < attempts && verify.Delay > TimeSpan.Zero)
            {
                await Task.Delay(verify.Delay, time, cancellationToken);
            }
        }

        if (rejected)
        {
            LogNotAccepted(logger, keyName, attempts);
            return false;
        }

        throw new IssuerException(IssuerFailure.Transient, $"{request} {outcome} on the last of {attempts} attempt(s)");
    }

    public async Task RevokeAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var credential = await managementCredential(cancellationToken);
        var request = Describe("revoke", options.Revoke.Method, ResolveUrl("revoke", options.Revoke.Url, id, label: null));
        var reply = await SendAsync(request, ManagementHeader(credential), ExpandBody(options.Revoke.Body, label: null), attachInner: true, cancellationToken);
        if (!reply.Answered)
        {
            throw new IssuerException(IssuerFailure.Transient, $"{request} for key {id} {reply.Failure}", reply.Error);
        }

        // A key already gone counts as revoked: a revoke whose answer was lost is repeated safely.
        if (!IsSuccess(reply.Status) && reply.Status is not (404 or 410))
        {
            throw new IssuerException(
                IsRefusal(reply.Status) ? IssuerFailure.Permanent : IssuerFailure.Transient,
                $"{request} for key {id} answered {StatusText(reply.Status)}{(IsRefusal(reply.Status) ? Excerpt(reply, credential) : "")}");
        }

        // Revocation is the irreversible step: believe the listing, not the status code.
        var remaining = await ListAsync(credential, cancellationToken);
        if (remaining.Any(k => string.Equals(k.Id, id, StringComparison.Ordinal)))
        {
            throw new IssuerException(IssuerFailure.Transient, $"{keyName}: revoke of key {id} not confirmed: still listed");
        }

        LogRevoked(logger, keyName, id);
    }

    private async Task<IReadOnlyList<IssuerKey>> ListAsync(string credential, CancellationToken cancellationToken)
    {
        var first = ResolveUrl("list", options.List.Url, id: null, label: null);
        var url = first;
        var keys = new List<IssuerKey>();
        var maxPages = Math.Max(1, options.Pagination.MaxPages);
        for (var page = 1; ; page++)
        {
            var request = Describe("list", options.List.Method, url);
            var reply = await SendAsync(request, ManagementHeader(credential), ExpandBody(options.List.Body, label: null), attachInner: true, cancellationToken);
            if (!reply.Answered)
            {
                throw new IssuerException(IssuerFailure.Transient, $"{request} {reply.Failure}", reply.Error);
            }

            if (!IsSuccess(reply.Status))
            {
                throw new IssuerException(
                    IsRefusal(reply.Status) ? IssuerFailure.Permanent : IssuerFailure.Transient,
                    $"{request} answered {StatusText(reply.Status)}{(IsRefusal(reply.Status) ? Excerpt(reply, credential) : "")}");
            }

            using var document = TryParse(reply.Body)
                ?? throw new IssuerException(IssuerFailure.Transient, $"{request} answered {StatusText(reply.Status)} with a body that is not JSON");
            ReadPage(request, document.RootElement, keys);

            var next = options.Pagination.Style == PaginationStyle.None ? null : JsonPointer.GetScalar(document.RootElement, options.Pagination.Next);
            if (string.IsNullOrEmpty(next))
            {
                LogListed(logger, keyName, keys.Count, page);
                return keys;
            }

            if (page >= maxPages)
            {
                throw new IssuerException(IssuerFailure.Permanent, $"{request}: still more pages after {maxPages}, the limit set by Pagination.MaxPages");
            }

            url = options.Pagination.Style == PaginationStyle.Cursor
                ? WithQueryParameter(first, options.Pagination.CursorParameter, next)
                : NextPageUrl(request, first, url, next);
        }
    }

    private void ReadPage(RequestDescription request, JsonElement root, List<IssuerKey> keys)
    {
        if (!JsonPointer.TryResolve(root, options.Pointers.Items, out var items) || items.ValueKind != JsonValueKind.Array)
        {
            throw new IssuerException(IssuerFailure.Permanent, $"{request}: the answer has no array at '{options.Pointers.Items}'");
        }

        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (!IsActive(item))
            {
                index++;
                continue;
            }

            var id = JsonPointer.GetScalar(item, options.Pointers.Id);
            if (string.IsNullOrEmpty(id))
            {
                // A key without an id cannot be revoked or matched; the configuration does not fit the vendor.
                throw new IssuerException(IssuerFailure.Permanent, $"{request}: item {index} has no id at '{options.Pointers.Id}'");
            }

            keys.Add(new IssuerKey(
                id,
                JsonPointer.GetScalar(item, options.Pointers.Label),
                JsonPointer.GetTimestamp(item, options.Pointers.Created),
                JsonPointer.GetTimestamp(item, options.Pointers.LastUsed)));
            index++;
        }
    }

    private bool IsActive(JsonElement item)
    {
        if (string.IsNullOrEmpty(options.Pointers.Status) || !JsonPointer.TryResolve(item, options.Pointers.Status, out var status))
        {
            return true;
        }

        return status.ValueKind switch
        {
            JsonValueKind.False => false,
            JsonValueKind.String => !InactiveStatuses.Contains(status.GetString()?.Trim(), StringComparer.OrdinalIgnoreCase),
            _ => true,
        };
    }

    private Uri NextPageUrl(RequestDescription request, Uri first, Uri current, string next)
    {
        // A link relative to the page it came from, as on the web.
        if (!Uri.TryCreate(current, next, out var resolved) || (resolved.Scheme != Uri.UriSchemeHttp && resolved.Scheme != Uri.UriSchemeHttps))
        {
            throw new IssuerException(IssuerFailure.Permanent, $"{request}: the next-page link is not an http(s) URL");
        }

        // The management credential goes with every page: never to another host.
        if (!string.Equals(resolved.GetLeftPart(UriPartial.Authority), first.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            throw new IssuerException(IssuerFailure.Permanent, $"{request}: the next-page link points to {resolved.Scheme}://{resolved.Authority}, another host than the listing's");
        }

        return resolved;
    }

    private static Uri WithQueryParameter(Uri url, string name, string value)
    {
        var builder = new UriBuilder(url);
        var kept = builder.Query.TrimStart('?')
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(pair => !string.Equals(Uri.UnescapeDataString(pair.Split('=')[0]), name, StringComparison.Ordinal));
        builder.Query = string.Join('&', kept.Append($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(value)}"));
        return builder.Uri;
    }

    private Uri ResolveUrl(string operation, string template, string? id, string? label)
    {
        var expanded = (template ?? "")
            .Replace("{account}", Uri.EscapeDataString(options.Account), StringComparison.Ordinal)
            .Replace("{id}", Uri.EscapeDataString(id ?? ""), StringComparison.Ordinal)
            .Replace("{label}", Uri.EscapeDataString(label ?? ""), StringComparison.Ordinal);

        // On Unix "/keys" parses as an absolute file URI, so absolute means http(s) here.
        if (Uri.TryCreate(expanded, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
        {
            return absolute;
        }

        if (options.BaseUrl is null || !options.BaseUrl.IsAbsoluteUri)
        {
            throw new IssuerException(IssuerFailure.Permanent, $"{keyName}: the {operation} URL is relative and no absolute BaseUrl is configured");
        }

        // Templates extend the base path ("https://vendor/v1" + "/keys" is ".../v1/keys"), whatever their slashes.
        var baseUrl = new UriBuilder(options.BaseUrl);
        if (!baseUrl.Path.EndsWith('/'))
        {
            baseUrl.Path += "/";
        }

        return new Uri(baseUrl.Uri, expanded.TrimStart('/'));
    }

    private string? ExpandBody(string? template, string? label) =>
        template?
            .Replace("{account}", JsonEncodedText.Encode(options.Account).ToString(), StringComparison.Ordinal)
            .Replace("{label}", JsonEncodedText.Encode(label ?? "").ToString(), StringComparison.Ordinal);

    private (string Name, string Value) ManagementHeader(string credential) =>
        (options.CredentialHeader, FormatHeader(options.CredentialFormat, credential, "CredentialFormat"));

    private string FormatHeader(string format, string secret, string setting)
    {
        try
        {
            return string.Format(CultureInfo.InvariantCulture, format, secret);
        }
        catch (FormatException)
        {
            throw new IssuerException(IssuerFailure.Permanent, $"{keyName}: {setting} is not a format with a single {{0}}");
        }
    }

    private RequestDescription Describe(string operation, string method, Uri url) => new(keyName, operation, method, url);

    private async Task<Reply> SendAsync(
        RequestDescription description,
        (string Name, string Value) header,
        string? body,
        bool attachInner,
        CancellationToken cancellationToken)
    {
        HttpMethod method;
        try
        {
            method = new HttpMethod(description.Method);
        }
        catch (FormatException)
        {
            throw new IssuerException(IssuerFailure.Permanent, $"{description}: '{description.Method}' is not an HTTP method");
        }

        using var request = new HttpRequestMessage(method, description.Url);
        if (!request.Headers.TryAddWithoutValidation(header.Name, header.Value))
        {
            throw new IssuerException(IssuerFailure.Permanent, $"{description}: '{header.Name}' cannot be sent as a request header");
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var timeout = new CancellationTokenSource(RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var text = await response.Content.ReadAsStringAsync(linked.Token);
            var status = (int)response.StatusCode;
            LogAnswered(logger, keyName, description.Operation, description.Method, description.SafeUrl, status);
            return new Reply(status, text, response.Content.Headers.ContentType?.MediaType, null, null);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The caller did not cancel, so the request's own timeout (or HttpClient's) fired.
            LogFailed(logger, keyName, description.Operation, description.Method, description.SafeUrl, "timed out");
            return new Reply(0, "", null, $"timed out after {RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s", attachInner ? ex : null);
        }
        catch (HttpRequestException ex)
        {
            var reason = $"failed ({ex.HttpRequestError})";
            LogFailed(logger, keyName, description.Operation, description.Method, description.SafeUrl, reason);
            return new Reply(0, "", null, reason, attachInner ? ex : null);
        }
    }

    /// <summary>A short, single-line quote of a refusal, with the credential removed; none at all when the body might hold a key.</summary>
    private string Excerpt(Reply reply, string credential)
    {
        var body = reply.Body;
        var media = reply.MediaType ?? "";
        var isJson = media.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        var isText = media.StartsWith("text/", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(body) || body.Length > ExcerptSourceLimit || !(isJson || isText))
        {
            return "";
        }

        using (var document = TryParse(body))
        {
            if (document is not null && JsonPointer.TryResolve(document.RootElement, options.Pointers.Key, out _))
            {
                return "";
            }
        }

        var text = ScrubTokens(Redact(body, credential));
        var line = new StringBuilder(Math.Min(text.Length, ExcerptLength + 1));
        foreach (var c in text)
        {
            // One line, no control characters: a vendor's text must not forge log lines.
            var clean = char.IsControl(c) || char.IsWhiteSpace(c) ? ' ' : c;
            if (clean == ' ' && (line.Length == 0 || line[^1] == ' '))
            {
                continue;
            }

            line.Append(clean);
            if (line.Length >= ExcerptLength)
            {
                return $": {line.ToString().TrimEnd()}…";
            }
        }

        return line.Length == 0 ? "" : $": {line.ToString().TrimEnd()}";
    }

    private static string Redact(string text, string secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return text;
        }

        var bytes = Encoding.UTF8.GetBytes(secret);
        string[] forms =
        [
            secret,
            JsonEncodedText.Encode(secret).ToString(),
            JsonEncodedText.Encode(secret, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(),
            Uri.EscapeDataString(secret),
            WebUtility.UrlEncode(secret),
            Convert.ToBase64String(bytes),
            Convert.ToBase64String(bytes).TrimEnd('='),
        ];
        foreach (var form in forms.Where(f => f.Length > 0).Distinct().OrderByDescending(f => f.Length))
        {
            text = text.Replace(form, "[redacted]", StringComparison.OrdinalIgnoreCase);
        }

        return text;
    }

    /// <summary>
    /// The issuer does not know the values of keys it did not mint, so anything shaped like one goes: a long run of
    /// token characters with a digit in it, or any very long run (base64, hex). Prose and short ids stay readable.
    /// </summary>
    private static string ScrubTokens(string text) =>
        TokenLike().Replace(text, match => match.Length >= 32 || match.ValueSpan.ContainsAnyInRange('0', '9') ? "[redacted]" : match.Value);

    [GeneratedRegex(@"[A-Za-z0-9_\-+/=]{16,}", RegexOptions.CultureInvariant)]
    private static partial Regex TokenLike();

    private static JsonDocument? TryParse(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            // Its message may quote the body; the caller reports "not JSON" and nothing more.
            return null;
        }
    }

    private static bool IsSuccess(int status) => status is >= 200 and <= 299;

    /// <summary>A 4xx that retrying will not change; 408 and 429 say "later".</summary>
    private static bool IsRefusal(int status) => status is >= 400 and <= 499 and not (408 or 429);

    private static string StatusText(int status) =>
        Enum.IsDefined((HttpStatusCode)status) ? $"{status} ({(HttpStatusCode)status})" : status.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "{KeyName}: {Operation} {Method} {Url} answered {Status}")]
    private static partial void LogAnswered(ILogger logger, string keyName, string operation, string method, string url, int status);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "{KeyName}: {Operation} {Method} {Url} {Reason}")]
    private static partial void LogFailed(ILogger logger, string keyName, string operation, string method, string url, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "{KeyName}: the issuer lists {Count} active key(s) in {Pages} page(s)")]
    private static partial void LogListed(ILogger logger, string keyName, int count, int pages);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{KeyName}: minted key {KeyId} labelled {Label}")]
    private static partial void LogMinted(ILogger logger, string keyName, string keyId, string label);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "{KeyName}: the issuer accepts the new key (attempt {Attempt} of {Attempts})")]
    private static partial void LogVerified(ILogger logger, string keyName, int attempt, int attempts);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "{KeyName}: verify attempt {Attempt} of {Attempts} {Outcome}")]
    private static partial void LogVerifyAttempt(ILogger logger, string keyName, int attempt, int attempts, string outcome);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "{KeyName}: the issuer still refuses the new key after {Attempts} attempt(s)")]
    private static partial void LogNotAccepted(ILogger logger, string keyName, int attempts);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "{KeyName}: revoked key {KeyId}; the issuer no longer lists it")]
    private static partial void LogRevoked(ILogger logger, string keyName, string keyId);

    private sealed record Reply(int Status, string Body, string? MediaType, string? Failure, Exception? Error)
    {
        public bool Answered => Failure is null;
    }

    /// <summary>What a message may say about a request: never its query string, its headers or its body.</summary>
    private sealed class RequestDescription(string keyName, string operation, string method, Uri url)
    {
        public string Operation { get; } = operation;

        public string Method { get; } = (method ?? "GET").Trim().ToUpperInvariant();

        public Uri Url { get; } = url;

        // Authority leaves out user info; the query may carry a cursor or a vendor's token.
        public string SafeUrl => $"{Url.Scheme}://{Url.Authority}{Url.AbsolutePath}";

        public override string ToString() => $"{keyName}: {Operation} {Method} {SafeUrl}";
    }
}

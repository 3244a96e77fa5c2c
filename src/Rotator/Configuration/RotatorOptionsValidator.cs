using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Quartz;

namespace Rotator.Configuration;

/// <summary>
/// Checks the whole <see cref="RotatorOptions"/> section and reports every problem at once, each message naming the
/// managed key and the field, what is wrong and how to fix it.
/// </summary>
/// <param name="localVaultAllowed">
/// True under the <c>demo</c> and <c>local-vault</c> commands and in the Development environment: only then may the
/// vault URI be left empty and the <c>LocalVault</c> credential be used.
/// </param>
internal sealed partial class RotatorOptionsValidator(bool localVaultAllowed) : IValidateOptions<RotatorOptions>
{
    private const string CronExample = "0 0 3 ? * MON";

    private const double MinimumBits = 256;

    private static readonly string[] HttpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    private static readonly string IssuerTypes = string.Join(", ", Enum.GetNames<IssuerType>());

    private static readonly string ProbeTypes = string.Join(", ", Enum.GetNames<ProbeType>());

    private static readonly string ControlOrAccepted =
        $"every key also uses \"<secret>{SecretNames.ControlSuffix}\" and \"<secret>{SecretNames.AcceptedSuffix}\"";

    public bool LocalVaultAllowed { get; } = localVaultAllowed;

    public ValidateOptionsResult Validate(string? name, RotatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Collect(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem in <paramref name="options"/>, in configuration order; empty when it is valid.</summary>
    public IReadOnlyList<string> Collect(RotatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        CheckVault(options.Vault, failures);
        CheckRetry(options.Retry, failures);
        CheckLease(options, failures);
        CheckKeys(ConfiguredKeys(options), failures);
        CheckAdmin(options, failures);
        CheckWebhook(options.Webhook, failures);
        return failures;
    }

    private void CheckVault(VaultOptions? vault, List<string> failures)
    {
        if (vault is null)
        {
            failures.Add("Vault: missing; set the Rotator:Vault section with at least Rotator:Vault:Uri.");
            return;
        }

        if (vault.Uri is null)
        {
            if (!LocalVaultAllowed)
            {
                failures.Add(
                    "Vault.Uri: missing; set Rotator:Vault:Uri to your Key Vault, e.g. https://my-vault.vault.azure.net/ "
                    + "(only the demo and local-vault commands and the Development environment fall back to the local vault).");
            }
        }
        else if (!IsAbsolute(vault.Uri, Uri.UriSchemeHttps))
        {
            failures.Add(
                $"Vault.Uri: \"{vault.Uri}\" is not an absolute https URI; use the vault's URI, e.g. https://my-vault.vault.azure.net/.");
        }

        if (!Enum.IsDefined(vault.Credential))
        {
            failures.Add(
                $"Vault.Credential: \"{vault.Credential}\" is not a known credential; use one of {string.Join(", ", Enum.GetNames<VaultCredential>())}.");
        }
        else if (vault.Credential == VaultCredential.LocalVault)
        {
            if (!LocalVaultAllowed)
            {
                failures.Add(
                    "Vault.Credential: LocalVault is only allowed under the demo and local-vault commands and in the Development environment; "
                    + "use WorkloadIdentity, ManagedIdentity or AzureCli.");
            }
            else if (string.IsNullOrWhiteSpace(vault.LocalVaultData))
            {
                failures.Add(
                    "Vault.LocalVaultData: missing; with the LocalVault credential set it to the local vault's data folder (the one holding its token and cert.pem).");
            }
        }

        Positive("Vault.NetworkTimeout", vault.NetworkTimeout, "00:00:10", failures);
    }

    private static void CheckRetry(RetryOptions? retry, List<string> failures)
    {
        if (retry is null)
        {
            failures.Add("Retry: missing; remove the empty Rotator:Retry section or give it values.");
            return;
        }

        if (retry.MaxAttempts < 1)
        {
            failures.Add(
                $"Retry.MaxAttempts: {retry.MaxAttempts} must be at least 1; it is the number of failed attempts of a step before the key needs attention, e.g. 8.");
        }

        Positive("Retry.BaseDelay", retry.BaseDelay, "00:00:02", failures);
        if (retry.MaxDelay < retry.BaseDelay)
        {
            failures.Add(
                $"Retry.MaxDelay: {Format(retry.MaxDelay)} is less than Retry.BaseDelay {Format(retry.BaseDelay)}; the cap must be at least the first delay, e.g. \"00:05:00\".");
        }
    }

    private static void CheckLease(RotatorOptions options, List<string> failures)
    {
        if (options.WorkerId is { } id && (id.Length == 0 || id.Length > 100 || id.Contains('|', StringComparison.Ordinal) || !id.All(IsVisibleAscii)))
        {
            failures.Add($"WorkerId: \"{id}\" must be 1 to 100 visible characters without '|'; use the release name, e.g. \"rotator-prod\".");
        }

        Positive("LeaseDuration", options.LeaseDuration, "00:05:00", failures);
        if (options.LeaseCheckDelay < TimeSpan.Zero)
        {
            failures.Add($"LeaseCheckDelay: {Format(options.LeaseCheckDelay)} must not be negative; use e.g. \"00:00:00.200\" (zero turns the delay off).");
        }
        else if (options.LeaseDuration > TimeSpan.Zero && options.LeaseCheckDelay >= options.LeaseDuration)
        {
            failures.Add($"LeaseCheckDelay: {Format(options.LeaseCheckDelay)} is not shorter than LeaseDuration {Format(options.LeaseDuration)}; a lease would expire while it is checked. Make the delay a fraction of a second.");
        }
    }

    private static void CheckKeys(IReadOnlyList<ManagedKeyOptions?> keys, List<string> failures)
    {
        var labels = new string[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            labels[i] = Label(keys[i], i);
        }

        CheckNames(keys, labels, failures);
        var secrets = CheckSecrets(keys, labels, failures);

        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var at = labels[i];
            if (key is null)
            {
                failures.Add($"{at}: empty entry; remove it or describe a managed key.");
                continue;
            }

            CheckSchedule(at, key.Schedule, failures);
            CheckRollout(at, key.Rollout, failures);
            Positive($"{at}.ExpiryMargin", key.ExpiryMargin, "7.00:00:00", failures);
            var kind = CheckIssuer(at, key.Issuer, secrets, failures);
            CheckConsumers(at, key.Consumers, failures);
            CheckVerifiers(at, kind, key.Verifiers, failures);
        }
    }

    private static string Label(ManagedKeyOptions? key, int index) =>
        string.IsNullOrWhiteSpace(key?.Name) ? $"Keys[{index}]" : $"Keys[{key.Name}]";

    private static void CheckNames(IReadOnlyList<ManagedKeyOptions?> keys, string[] labels, List<string> failures)
    {
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < keys.Count; i++)
        {
            var name = keys[i]?.Name;
            if (keys[i] is null)
            {
                continue;
            }

            if (string.IsNullOrWhiteSpace(name))
            {
                failures.Add(
                    $"Keys[{i}].Name: missing; give the key a unique name of letters, digits, '-', '_' or '.', used in logs, metrics and the admin API.");
                continue;
            }

            if (!KeyName().IsMatch(name))
            {
                failures.Add(
                    $"{labels[i]}.Name: \"{name}\" has characters other than letters, digits, '-', '_' and '.'; rename it, e.g. \"billing-api\".");
            }

            if (seen.TryGetValue(name, out var first))
            {
                failures.Add(
                    $"{labels[i]}.Name: \"{name}\" (Keys[{i}]) is already the name of Keys[{first}] (names are compared case-insensitively); give every key a unique name.");
            }
            else
            {
                seen.Add(name, i);
            }
        }
    }

    /// <summary>Checks every managed secret and returns the vault names they take, each with a description of its owner.</summary>
    private static Dictionary<string, SecretUse> CheckSecrets(IReadOnlyList<ManagedKeyOptions?> keys, string[] labels, List<string> failures)
    {
        var taken = new Dictionary<string, SecretUse>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            if (key is null)
            {
                continue;
            }

            var at = $"{labels[i]}.Secret";
            var secret = key.Secret;
            if (string.IsNullOrWhiteSpace(secret))
            {
                failures.Add($"{at}: missing; set the name of the vault secret that consumers read, e.g. \"billing-api-key\".");
                continue;
            }

            if (!SecretNames.IsValid(secret))
            {
                failures.Add(
                    $"{at}: \"{secret}\" is not a valid Key Vault secret name; use 1 to {SecretNames.MaxManagedLength} letters, digits and '-'.");
                continue;
            }

            if (secret.Length > SecretNames.MaxManagedLength)
            {
                failures.Add(
                    $"{at}: \"{secret}\" is {secret.Length} characters; a managed secret may have at most {SecretNames.MaxManagedLength}, "
                    + $"so that \"{SecretNames.AcceptedSuffix}\" and \"{SecretNames.ControlSuffix}\" still fit Key Vault's 127; shorten it.");
                continue;
            }

            SecretUse[] uses =
            [
                new(secret, i, labels[i], "the managed secret", secret),
                new(SecretNames.Control(secret), i, labels[i], "the control secret", secret),
                new(SecretNames.Accepted(secret), i, labels[i], "the accepted-keys secret", secret),
            ];

            var reported = new HashSet<int>();
            foreach (var use in uses)
            {
                if (taken.TryGetValue(use.Name, out var other) && reported.Add(other.Index))
                {
                    failures.Add(
                        $"{at}: \"{secret}\" clashes with {other.Label}.Secret \"{other.Secret}\": {use.Role} \"{use.Name}\" of {labels[i]} "
                        + $"is the same vault secret as {other.Role} \"{other.Name}\" of {other.Label} (secret names are case-insensitive, and {ControlOrAccepted}); "
                        + "choose secret names that stay distinct with these suffixes.");
                }
            }

            foreach (var use in uses)
            {
                taken.TryAdd(use.Name, use);
            }
        }

        return taken;
    }

    private static void CheckSchedule(string key, ScheduleOptions? schedule, List<string> failures)
    {
        var at = $"{key}.Schedule";
        if (schedule is null)
        {
            failures.Add($"{at}: missing; set Schedule.Cron (e.g. \"{CronExample}\") or Schedule.Interval (e.g. \"90.00:00:00\").");
            return;
        }

        var hasCron = !string.IsNullOrWhiteSpace(schedule.Cron);
        var hasInterval = schedule.Interval is not null;
        if (hasCron && hasInterval)
        {
            failures.Add(
                $"{at}: both Cron and Interval are set; keep exactly one: Cron for fixed times, Interval for a period counted from the last completed rotation.");
        }
        else if (!hasCron && !hasInterval)
        {
            failures.Add(
                $"{at}: neither Cron nor Interval is set; set Schedule.Cron (e.g. \"{CronExample}\") or Schedule.Interval (e.g. \"90.00:00:00\").");
        }

        if (hasCron)
        {
            var error = CronError(schedule.Cron!);
            if (error is not null)
            {
                failures.Add(
                    $"{at}.Cron: \"{schedule.Cron}\" is not a valid Quartz cron expression ({error}); use seconds-first Quartz syntax such as \"{CronExample}\".");
            }
        }

        if (schedule.Interval is { } interval)
        {
            Positive($"{at}.Interval", interval, "90.00:00:00", failures);
        }

        if (!string.IsNullOrWhiteSpace(schedule.TimeZone) && !TimeZoneExists(schedule.TimeZone))
        {
            failures.Add(
                $"{at}.TimeZone: \"{schedule.TimeZone}\" is not a time zone known to this system; use an IANA or Windows id such as \"Europe/Berlin\", or leave it empty for UTC.");
        }

        if (schedule.Jitter < TimeSpan.Zero)
        {
            failures.Add($"{at}.Jitter: {Format(schedule.Jitter)} is negative; use zero or a positive delay such as \"00:30:00\".");
        }

        CheckWindowAndMaxAge(at, schedule, failures);
    }

    private static string? CronError(string cron)
    {
        try
        {
            _ = new CronExpression(cron);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message.TrimEnd('.');
        }
    }

    private static bool TimeZoneExists(string id)
    {
        try
        {
            _ = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (TimeZoneNotFoundException)
        {
            return false;
        }
        catch (InvalidTimeZoneException)
        {
            return false;
        }
    }

    private static void CheckRollout(string key, RolloutOptions? rollout, List<string> failures)
    {
        var at = $"{key}.Rollout";
        if (rollout is null)
        {
            failures.Add($"{at}: missing; remove the empty section or give it values.");
            return;
        }

        Positive($"{at}.PollInterval", rollout.PollInterval, "00:00:30", failures);
        Positive($"{at}.StableFor", rollout.StableFor, "00:05:00", failures);
        Positive($"{at}.Timeout", rollout.Timeout, "1.00:00:00", failures);
        Positive($"{at}.StalledPollInterval", rollout.StalledPollInterval, "00:05:00", failures);
        Positive($"{at}.EmergencyGrace", rollout.EmergencyGrace, "00:02:00", failures);
        if (rollout.StableFor > TimeSpan.Zero && rollout.Timeout > TimeSpan.Zero && rollout.StableFor >= rollout.Timeout)
        {
            failures.Add(
                $"{at}.StableFor: {Format(rollout.StableFor)} is not shorter than Rollout.Timeout {Format(rollout.Timeout)}, so the gate could never open before the rotation stalls; "
                + "make StableFor shorter than Timeout.");
        }
    }

    private static IssuerType? CheckIssuer(string key, IssuerOptions? issuer, Dictionary<string, SecretUse> secrets, List<string> failures)
    {
        var at = $"{key}.Issuer";
        if (issuer is null)
        {
            failures.Add($"{at}: missing; set Issuer.Type to one of {IssuerTypes}.");
            return null;
        }

        var kind = issuer.Kind;
        if (kind is null)
        {
            failures.Add(string.IsNullOrWhiteSpace(issuer.Type)
                ? $"{at}.Type: missing; set it to one of {IssuerTypes}."
                : $"{at}.Type: \"{issuer.Type}\" is not a known issuer type; use one of {IssuerTypes}.");
        }
        else if (kind == IssuerType.Generated)
        {
            CheckGenerated(at, issuer, failures);
        }
        else
        {
            CheckHttp($"{at}.Http", issuer.Http, secrets, failures);
        }

        return kind;
    }

    private static void CheckGenerated(string at, IssuerOptions issuer, List<string> failures)
    {
        var alphabet = issuer.Alphabet ?? "";
        var distinct = alphabet.Distinct().Count();
        if (distinct < 2)
        {
            failures.Add(
                $"{at}.Alphabet: \"{alphabet}\" has {distinct} distinct character(s); use at least 2, e.g. the default letters and digits.");
        }
        else
        {
            var duplicates = alphabet.GroupBy(c => c).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
            if (duplicates.Length > 0)
            {
                failures.Add(
                    $"{at}.Alphabet: '{string.Join("', '", duplicates)}' {(duplicates.Length == 1 ? "appears" : "appear")} more than once, which makes those characters likelier; list each character once.");
            }

            if (alphabet.Any(c => !IsVisibleAscii(c)))
            {
                failures.Add(
                    $"{at}.Alphabet: has characters that are not printable ASCII or are whitespace; keys travel in HTTP headers, so use visible ASCII only.");
            }

            var bitsPerChar = Math.Log2(distinct);
            var minimumLength = (int)Math.Ceiling((MinimumBits / bitsPerChar) - 1e-9);
            if (issuer.Length < minimumLength)
            {
                failures.Add(
                    $"{at}.Length: {issuer.Length} characters from {distinct} distinct ones give {(Math.Max(issuer.Length, 0) * bitsPerChar).ToString("0.#", CultureInfo.InvariantCulture)} bits; "
                    + $"a key needs at least {MinimumBits.ToString(CultureInfo.InvariantCulture)}, so set Length to {minimumLength} or more for this alphabet.");
            }
        }

        if ((issuer.Prefix ?? "").Any(c => !IsVisibleAscii(c)))
        {
            failures.Add(
                $"{at}.Prefix: \"{issuer.Prefix}\" has characters that are not printable ASCII or are whitespace; use visible ASCII only, e.g. \"sk_live_\".");
        }
    }

    private static void CheckHttp(string at, HttpIssuerOptions? http, Dictionary<string, SecretUse> secrets, List<string> failures)
    {
        if (http is null)
        {
            failures.Add($"{at}: missing; describe the vendor's key-management API in Issuer.Http.");
            return;
        }

        if (http.BaseUrl is null)
        {
            failures.Add($"{at}.BaseUrl: missing; set the base address of the vendor's key-management API, e.g. https://api.vendor.example/v1/.");
        }
        else if (!IsAbsolute(http.BaseUrl, Uri.UriSchemeHttps, Uri.UriSchemeHttp))
        {
            failures.Add($"{at}.BaseUrl: \"{http.BaseUrl}\" is not an absolute http(s) URL; use e.g. https://api.vendor.example/v1/.");
        }

        if (string.IsNullOrWhiteSpace(http.Account))
        {
            failures.Add(
                $"{at}.Account: missing; set the vendor-side account (or project) whose active keys count against the vendor's limit.");
        }

        if (http.MaxActiveKeys < 2)
        {
            failures.Add(
                $"{at}.MaxActiveKeys: {http.MaxActiveKeys} leaves no room for a second key during a rotation; set the vendor's limit, at least 2.");
        }

        if (string.IsNullOrWhiteSpace(http.CredentialSecret))
        {
            failures.Add($"{at}.CredentialSecret: missing; set the vault secret that holds the vendor's management credential.");
        }
        else if (!SecretNames.IsValid(http.CredentialSecret))
        {
            failures.Add(
                $"{at}.CredentialSecret: \"{http.CredentialSecret}\" is not a valid Key Vault secret name; use 1 to 127 letters, digits and '-'.");
        }
        else if (secrets.TryGetValue(http.CredentialSecret, out var use))
        {
            failures.Add(
                $"{at}.CredentialSecret: \"{http.CredentialSecret}\" is {use.Role} \"{use.Name}\" of {use.Label} (secret names are case-insensitive, and {ControlOrAccepted}), "
                + "which Rotator writes; keep the management credential in a secret of its own.");
        }

        if (string.IsNullOrWhiteSpace(http.CredentialHeader))
        {
            failures.Add($"{at}.CredentialHeader: missing; set the header that carries the management credential, e.g. \"Authorization\".");
        }

        if (http.CredentialFormat is null || !http.CredentialFormat.Contains("{0}", StringComparison.Ordinal))
        {
            failures.Add($"{at}.CredentialFormat: \"{http.CredentialFormat}\" lacks {{0}}, where the credential goes; use e.g. \"Bearer {{0}}\".");
        }

        if (CheckOperation($"{at}.Create", http.Create, failures) is { } create
            && !Contains(create.Body, "{label}") && !Contains(create.Url, "{label}"))
        {
            failures.Add(string.IsNullOrWhiteSpace(create.Body)
                ? $"{at}.Create.Body: missing, and Create.Url has no {{label}}; the rotation id must reach the vendor so that a key whose answer was lost can be found again, "
                  + "so put {label} in the body (e.g. {\"name\":\"{label}\"}) or the URL."
                : $"{at}.Create.Body: has no {{label}}; the rotation id must reach the vendor so that a key whose answer was lost can be found again, "
                  + "so put {label} in the body, e.g. {\"name\":\"{label}\"}.");
        }

        CheckOperation($"{at}.List", http.List, failures);
        if (CheckOperation($"{at}.Revoke", http.Revoke, failures) is { } revoke
            && !string.IsNullOrWhiteSpace(revoke.Url) && !Contains(revoke.Url, "{id}"))
        {
            failures.Add($"{at}.Revoke.Url: \"{revoke.Url}\" has no {{id}}; name the key to revoke, e.g. \"keys/{{id}}\".");
        }

        if (http.Verify is { } verify)
        {
            CheckOperation($"{at}.Verify", verify, failures);
            if (verify.Attempts < 1)
            {
                failures.Add($"{at}.Verify.Attempts: {verify.Attempts} must be at least 1; use e.g. 5.");
            }

            if (verify.Delay < TimeSpan.Zero)
            {
                failures.Add($"{at}.Verify.Delay: {Format(verify.Delay)} is negative; use zero or a delay such as \"00:00:01\".");
            }

            if (string.IsNullOrWhiteSpace(verify.Header))
            {
                failures.Add($"{at}.Verify.Header: missing; set the header that carries the new key, e.g. \"X-Api-Key\".");
            }

            if (verify.Format is null || !verify.Format.Contains("{0}", StringComparison.Ordinal))
            {
                failures.Add($"{at}.Verify.Format: \"{verify.Format}\" lacks {{0}}, where the key goes; use e.g. \"{{0}}\".");
            }
        }

        CheckPointers($"{at}.Pointers", http.Pointers, failures);
        CheckPagination($"{at}.Pagination", http.Pagination, failures);
        Positive($"{at}.Timeout", http.Timeout, "00:00:10", failures);
    }

    /// <summary>Checks an operation's method and URL; returns it when it is present.</summary>
    private static HttpOperationOptions? CheckOperation(string at, HttpOperationOptions? operation, List<string> failures)
    {
        if (operation is null)
        {
            failures.Add($"{at}: missing; set its Method and Url.");
            return null;
        }

        if (string.IsNullOrWhiteSpace(operation.Url))
        {
            failures.Add($"{at}.Url: missing; set the URL, absolute or relative to BaseUrl, e.g. \"accounts/{{account}}/keys\".");
        }

        if (string.IsNullOrWhiteSpace(operation.Method))
        {
            failures.Add($"{at}.Method: missing; use one of {string.Join(", ", HttpMethods)}.");
        }
        else if (!HttpMethods.Contains(operation.Method, StringComparer.OrdinalIgnoreCase))
        {
            failures.Add($"{at}.Method: \"{operation.Method}\" is not an HTTP method; use one of {string.Join(", ", HttpMethods)}.");
        }

        return operation;
    }

    private static void CheckPointers(string at, JsonPointerOptions? pointers, List<string> failures)
    {
        if (pointers is null)
        {
            failures.Add($"{at}: missing; remove the empty section or give it values.");
            return;
        }

        Pointer($"{at}.Items", pointers.Items, required: true, "/items", failures);
        Pointer($"{at}.Id", pointers.Id, required: true, "/id", failures);
        Pointer($"{at}.Key", pointers.Key, required: true, "/key", failures);
        Pointer($"{at}.Label", pointers.Label, required: true, "/label", failures);
        Pointer($"{at}.Created", pointers.Created, required: false, "/createdAt", failures);
        Pointer($"{at}.LastUsed", pointers.LastUsed, required: false, "/lastUsedAt", failures);
        Pointer($"{at}.Status", pointers.Status, required: false, "/status", failures);
    }

    private static void Pointer(string at, string? pointer, bool required, string example, List<string> failures)
    {
        if (string.IsNullOrEmpty(pointer))
        {
            if (required)
            {
                failures.Add($"{at}: missing; set a JSON pointer into the vendor's answer, e.g. \"{example}\".");
            }
        }
        else if (!pointer.StartsWith('/'))
        {
            failures.Add($"{at}: \"{pointer}\" is not a JSON pointer; start it with '/', e.g. \"{example}\".");
        }
    }

    private static void CheckPagination(string at, PaginationOptions? pagination, List<string> failures)
    {
        if (pagination is null)
        {
            failures.Add($"{at}: missing; remove the empty section or give it values.");
            return;
        }

        if (!Enum.IsDefined(pagination.Style))
        {
            failures.Add(
                $"{at}.Style: \"{pagination.Style}\" is not a known pagination style; use one of {string.Join(", ", Enum.GetNames<PaginationStyle>())}.");
        }
        else if (pagination.Style != PaginationStyle.None)
        {
            Pointer($"{at}.Next", pagination.Next, required: true, "/next", failures);
            if (pagination.Style == PaginationStyle.Cursor && string.IsNullOrWhiteSpace(pagination.CursorParameter))
            {
                failures.Add($"{at}.CursorParameter: missing; set the query parameter that carries the cursor, e.g. \"cursor\".");
            }
        }

        if (pagination.MaxPages < 1)
        {
            failures.Add($"{at}.MaxPages: {pagination.MaxPages} must be at least 1; use e.g. 100 (a guard against a vendor that pages forever).");
        }
    }

    private static void CheckConsumers(string key, IReadOnlyList<ProbeOptions?>? consumers, List<string> failures)
    {
        var at = $"{key}.Consumers";
        if (consumers is null || consumers.Count == 0)
        {
            failures.Add(
                $"{at}: none; add at least one consumer (the probe URL of each service that sends the key): without one there is no evidence "
                + "that anyone switched, and the old key could never be revoked safely.");
            return;
        }

        CheckProbes(at, "consumer", consumers, failures);
    }

    private static void CheckVerifiers(string key, IssuerType? kind, IReadOnlyList<ProbeOptions?>? verifiers, List<string> failures)
    {
        var at = $"{key}.Verifiers";
        var count = verifiers?.Count ?? 0;
        if (kind == IssuerType.Http)
        {
            if (count > 0)
            {
                failures.Add(
                    $"{at}: verifiers only apply to Generated issuers (a vendor accepts its own keys as soon as it mints them); remove them, or use Issuer.Type Generated.");
            }

            return;
        }

        if (kind == IssuerType.Generated && count == 0)
        {
            failures.Add(
                $"{at}: none; a Generated key needs at least one verifier (the probe URL of each service that checks the key), "
                + "so that the new key is accepted before any caller sends it.");
        }

        if (verifiers is not null)
        {
            CheckProbes(at, "verifier", verifiers, failures);
        }
    }

    private static void CheckProbes(string at, string role, IReadOnlyList<ProbeOptions?> probes, List<string> failures)
    {
        for (var i = 0; i < probes.Count; i++)
        {
            var item = $"{at}[{i}]";
            var probe = probes[i];
            if (probe is null)
            {
                failures.Add($"{item}: empty entry; remove it or set its Url.");
                continue;
            }

            if (probe.Kind is null)
            {
                failures.Add(string.IsNullOrWhiteSpace(probe.Type)
                    ? $"{item}.Type: missing; use one of {ProbeTypes}."
                    : $"{item}.Type: \"{probe.Type}\" is not a known probe type; use one of {ProbeTypes}.");
            }

            if (probe.Url is null)
            {
                failures.Add(
                    $"{item}.Url: missing URL; set the {role}'s probe endpoint, e.g. http://billing.prod.svc.cluster.local:8080/rotator/key.");
            }
            else if (!IsAbsolute(probe.Url, Uri.UriSchemeHttp, Uri.UriSchemeHttps))
            {
                failures.Add(
                    $"{item}.Url: \"{probe.Url}\" is not an absolute http(s) URL; use e.g. http://billing.prod.svc.cluster.local:8080/rotator/key.");
            }

            if (probe.MinAddresses < 1)
            {
                failures.Add(
                    $"{item}.MinAddresses: {probe.MinAddresses} must be at least 1 (zero addresses is never evidence); set the number of replicas expected, e.g. 1.");
            }

            Positive($"{item}.Timeout", probe.Timeout, "00:00:05", failures);
        }
    }

    private static void Positive(string at, TimeSpan value, string example, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{at}: {Format(value)} must be greater than zero; use e.g. \"{example}\".");
        }
    }

    private static bool IsAbsolute(Uri uri, params string[] schemes) =>
        uri.IsAbsoluteUri && schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase) && !string.IsNullOrEmpty(uri.Host);

    private static bool IsVisibleAscii(char c) => c is > ' ' and < '\u007f';

    private static bool Contains(string? text, string value) => text is not null && text.Contains(value, StringComparison.Ordinal);

    private static string Format(TimeSpan value) => $"\"{value.ToString("c", CultureInfo.InvariantCulture)}\"";

    [GeneratedRegex(@"^[0-9A-Za-z._-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyName();

    /// <summary>A vault secret name that a managed key takes, and in which role.</summary>
    private sealed record SecretUse(string Name, int Index, string Label, string Role, string Secret);
}
